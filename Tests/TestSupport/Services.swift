public import Foundation
public import Logging
public import PostgresNIO
import Sink
public import TickbusKafka
public import TickbusMarket
public import TickbusPostgres

/// The broker `make test` starts (scripts/dev-services); override with TICKBUS_KAFKA_BROKERS.
public let brokers = ProcessInfo.processInfo.environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092"

public let quietLogger: Logger = {
    var logger = Logger(label: "tickbus-test") { _ in StreamLogHandler.standardError(label: "tickbus-test") }
    logger.logLevel = .critical
    return logger
}()

public func testClient() -> KafkaConfiguration {
    var client = KafkaConfiguration(bootstrapServers: [brokers])
    client.statisticsInterval = nil
    return client
}

public func uniqueTopics(_ name: String) -> TopicNames {
    TopicNames(prefix: "\(name)-\(UUID().uuidString.prefix(8).lowercased()).")
}

/// The Postgres `make test` starts (scripts/dev-services env: TICKBUS_PG_*).
public func devPostgres(database: String? = nil) -> PostgresSettings {
    let environment = ProcessInfo.processInfo.environment
    var settings = PostgresSettings()
    settings.host = environment["TICKBUS_PG_HOST"] ?? "127.0.0.1"
    settings.port = Int(environment["TICKBUS_PG_PORT"] ?? "") ?? 15432
    settings.user = environment["TICKBUS_PG_USER"] ?? "tickbus"
    settings.database = database ?? environment["TICKBUS_PG_DATABASE"] ?? "tickbus"
    settings.sslMode = .disable
    let passwordFile = environment["TICKBUS_PG_PASSWORD_FILE"] ?? repositoryRoot + "/.run/pg/password"
    settings.password = environment["TICKBUS_PG_PASSWORD"]
        ?? (try? String(contentsOfFile: passwordFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    return settings
}

public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A fresh database (migrated unless told otherwise) for one test, dropped afterwards.
public func withScratchDatabase<T>(migrated: Bool = true, _ body: (PostgresSettings) async throws -> T) async throws -> T {
    let name = "tickbus_test_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
    let admin = try await devPostgres().connect(logger: quietLogger)
    try await admin.execute(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: quietLogger, doing: "create")
    let settings = devPostgres(database: name)
    do {
        if migrated {
            let connection = try await settings.connect(logger: quietLogger)
            try await SchemaMigrator(logger: quietLogger).migrate(connection)
            try await connection.close()
        }
        let result = try await body(settings)
        try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: quietLogger, doing: "drop")
        try? await admin.close()
        return result
    } catch {
        try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: quietLogger, doing: "drop")
        try? await admin.close()
        throw error
    }
}

/// Runs SQL and returns every row as text columns (NULL → nil), for exact comparisons.
public func rows(_ sql: String, _ settings: PostgresSettings) async throws -> [[String?]] {
    let connection = try await settings.connect(logger: quietLogger)
    defer { Task { try? await connection.close() } }
    // Cast to text in SQL so the comparison is on Postgres's own output.
    let stream = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger)
    var result: [[String?]] = []
    for try await row in stream {
        result.append(try row.map { cell in try cell.decode(String?.self) })
    }
    return result
}

public func count(_ sql: String, _ settings: PostgresSettings) async throws -> Int {
    Int(try await rows("SELECT (\(sql))::text", settings).first?.first?.flatMap { $0 } ?? "") ?? -1
}


/// Micros of "now" rounded to the second, minus `back` seconds.
public func secondsAgo(_ back: Int64) -> Int64 {
    (WallClock.microseconds() / 1_000_000 - back) * 1_000_000
}

