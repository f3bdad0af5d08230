public import Logging
public import PostgresNIO
public import TickbusPostgres

/// Applies ``SinkSchema/migrations`` that are not yet recorded in `schema_migrations`. Safe to run from
/// several instances at once: a session advisory lock serializes them, and each migration commits together
/// with its version row, so an interrupted run resumes at the first missing version.
public struct SchemaMigrator: Sendable {
    /// Advisory lock key shared by every Tickbus sink ("tickbus" in ASCII).
    static let lockKey: Int64 = 0x7469_636b_6275_73

    public let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Returns the versions it applied (empty when the schema was current).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) async throws(DatabaseError) -> [Int] {
        try await execute("SELECT pg_advisory_lock(\(Self.lockKey))", on: connection, doing: "taking the migration lock")
        do {
            let applied = try await migrateLocked(connection)
            try await execute("SELECT pg_advisory_unlock(\(Self.lockKey))", on: connection, doing: "releasing the migration lock")
            return applied
        } catch {
            try? await execute("SELECT pg_advisory_unlock(\(Self.lockKey))", on: connection, doing: "releasing the migration lock")
            throw error
        }
    }

    /// The highest applied version (0 for an empty database).
    public func currentVersion(_ connection: PostgresConnection) async throws(DatabaseError) -> Int {
        do {
            let rows = try await connection.query(
                "SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
            for try await (version) in rows.decode(Int.self) { return version }
            return 0
        } catch {
            let failure = DatabaseError(error, while: "reading the schema version")
            if failure.sqlState == "42P01" { return 0 }  // undefined_table: never migrated
            throw failure
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws(DatabaseError) -> [Int] {
        try await execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, on: connection, doing: "creating schema_migrations")
        let current = try await currentVersion(connection)
        var applied: [Int] = []
        for migration in SinkSchema.migrations where migration.version > current {
            try await execute("BEGIN", on: connection, doing: "migration \(migration.version)")
            do {
                for statement in SQLStatements.split(migration.sql) {
                    try await execute(statement, on: connection, doing: "migration \(migration.version) (\(migration.name))")
                }
                try await connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger, doing: "recording migration \(migration.version)")
                try await execute("COMMIT", on: connection, doing: "committing migration \(migration.version)")
            } catch {
                try? await execute("ROLLBACK", on: connection, doing: "rolling back migration \(migration.version)")
                throw error
            }
            logger.info("schema migration applied", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }

    private func execute(_ sql: String, on connection: PostgresConnection, doing: String) async throws(DatabaseError) {
        try await connection.execute(PostgresQuery(unsafeSQL: sql), logger: logger, doing: doing)
    }
}

/// Splits SQL text into statements at top-level semicolons (not inside quotes, `$$` bodies or comments):
/// postgres-nio speaks only the extended protocol, one statement per query.
enum SQLStatements {
    static func split(_ sql: String) -> [String] {
        var statements: [String] = []
        var current: [UInt8] = []
        let bytes = Array(sql.utf8)
        var index = 0
        var inQuote = false, inDollar = false, inComment = false
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            if inComment {
                if byte == UInt8(ascii: "\n") { inComment = false }
            } else if inQuote {
                if byte == UInt8(ascii: "'") { inQuote = false }
            } else if inDollar {
                if byte == UInt8(ascii: "$") && next == UInt8(ascii: "$") { inDollar = false; current.append(byte); index += 1 }
            } else if byte == UInt8(ascii: "-") && next == UInt8(ascii: "-") {
                inComment = true
            } else if byte == UInt8(ascii: "'") {
                inQuote = true
            } else if byte == UInt8(ascii: "$") && next == UInt8(ascii: "$") {
                inDollar = true; current.append(byte); index += 1
            } else if byte == UInt8(ascii: ";") {
                let statement = String(decoding: current, as: UTF8.self).trimmingWhitespace()
                if !statement.isEmpty { statements.append(statement) }
                current.removeAll()
                index += 1
                continue
            }
            if !inComment { current.append(bytes[index]) }
            index += 1
        }
        let last = String(decoding: current, as: UTF8.self).trimmingWhitespace()
        if !last.isEmpty { statements.append(last) }
        return statements
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
