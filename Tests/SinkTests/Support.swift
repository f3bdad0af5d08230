import Foundation
import Logging
import PostgresNIO
@testable import Sink
import TickbusKafka
import TickbusMarket
import TickbusPostgres

/// The broker `make test` starts (scripts/dev-services); override with TICKBUS_KAFKA_BROKERS.
let brokers = ProcessInfo.processInfo.environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092"

let quietLogger: Logger = {
    var logger = Logger(label: "sink-test") { _ in StreamLogHandler.standardError(label: "sink-test") }
    logger.logLevel = .critical
    return logger
}()

func testClient() -> KafkaConfiguration {
    var client = KafkaConfiguration(bootstrapServers: [brokers])
    client.statisticsInterval = nil
    return client
}

func uniqueTopics(_ name: String) -> TopicNames {
    TopicNames(prefix: "\(name)-\(UUID().uuidString.prefix(8).lowercased()).")
}

/// The Postgres `make test` starts (scripts/dev-services env: TICKBUS_PG_*).
func devPostgres(database: String? = nil) -> PostgresSettings {
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

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A fresh database (migrated unless told otherwise) for one test, dropped afterwards.
func withScratchDatabase<T>(migrated: Bool = true, _ body: (PostgresSettings) async throws -> T) async throws -> T {
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
func rows(_ sql: String, _ settings: PostgresSettings) async throws -> [[String?]] {
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

func count(_ sql: String, _ settings: PostgresSettings) async throws -> Int {
    Int(try await rows("SELECT (\(sql))::text", settings).first?.first?.flatMap { $0 } ?? "") ?? -1
}

/// Polls `condition` until true or the deadline.
func eventually(within limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(200))
    }
    return try await condition()
}

/// Micros of "now" rounded to the second, minus `back` seconds.
func secondsAgo(_ back: Int64) -> Int64 {
    (WallClock.microseconds() / 1_000_000 - back) * 1_000_000
}

func snapshotJSON(source: String, instrument: String = "BTC-USDT", second: Int64, price: Double) -> String {
    """
    {"v":1,"type":"snapshot","source":"\(source)","instrument":"\(instrument)","second":\(second),"price":\(price),\
    "bid":\(price - 0.05),"ask":\(price + 0.05),"fresh":true,"ticks":2,"open":\(price),"high":\(price + 1),\
    "low":\(price - 1),"close":\(price),"age_ms":250,"price_usd":\(price),"fx":1,"fx_assumed":true}
    """
}

func windowJSON(source: String = "chainlink", instrument: String = "BTC-USD", start: Int64, open: Double, current: Double,
                asOf: Int64, final: Bool, resolution: Double? = nil) -> String {
    let side = current >= open ? "up" : "down"
    let resolved = resolution.map { $0 >= open ? "\"up\"" : "\"down\"" } ?? "null"
    return """
    {"v":1,"type":"window","source":"\(source)","instrument":"\(instrument)","window_start":\(start),"open":\(open),\
    "open_ts":\(start + 400_000),"open_delay_ms":400,"current":\(current),"current_ts":\(asOf - 300_000),\
    "high":\(max(open, current)),"low":\(min(open, current)),"ticks":10,"change":\(current - open),\
    "change_bps":\((current / open - 1) * 10_000),"side":"\(side)","seconds_left":\(max(0, (start + 900_000_000 - asOf) / 1_000_000)),\
    "resolution_price":\(resolution.map { "\($0)" } ?? "null"),"resolution_ts":\(resolution == nil ? "null" : "\(start + 900_500_000)"),\
    "resolved_side":\(resolved),"final":\(final),"complete":true,"max_gap_ms":1200,"as_of":\(asOf)}
    """
}

func spreadJSON(second: Int64, a: String, b: String, aPrice: Double, bPrice: Double) -> String {
    """
    {"v":1,"type":"spread","second":\(second),"base":"BTC","a":"\(a)","b":"\(b)","a_instrument":"BTC-USDT",\
    "b_instrument":"BTC-USD","a_price_usd":\(aPrice),"b_price_usd":\(bPrice),"diff_usd":\(aPrice - bPrice),\
    "bps":\((aPrice / bPrice - 1) * 10_000),"diff":null,"a_age_ms":100,"b_age_ms":200,"fx_assumed":false}
    """
}

func tickJSON(source: String = "binance", seq: Int, receive: Int64, venue: Int64? = nil, bid: String = "67000.10") -> String {
    """
    {"v":1,"source":"\(source)","instrument":"BTC-USDT","venue_symbol":"BTCUSDT","kind":"quote","bid":\(bid),\
    "bid_size":"1.50","ask":67000.2,"ask_size":0.003,"last":null,"ts_venue":\(venue.map(String.init) ?? "null"),\
    "ts_recv":\(receive),"conn":1,"seq":\(seq),"producer":"p-test"}
    """
}

/// A message as the consumer would hand it over.
func message(_ topic: String, _ json: String, offset: Int64, partition: Int32 = 0) -> KafkaConsumerMessage {
    KafkaConsumerMessage(topic: topic, partition: partition, offset: offset, key: nil, value: Array(json.utf8), timestamp: nil)
}
