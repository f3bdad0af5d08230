import TickbusMarket
public import TickbusPostgres
import Foundation
public import Logging
public import PostgresNIO

/// Daily range partitions: named `<table>_pYYYYMMDD`, created ahead (and on demand for the days a batch
/// touches), dropped once older than their table's retention. Creation attaches a pre-built table
/// (`ATTACH PARTITION` takes SHARE UPDATE EXCLUSIVE, so writers go on); dropping detaches `CONCURRENTLY`
/// first, so writers are never blocked for long. Partitions with other names are never touched.
public struct PartitionManager: Sendable {
    public static let dayMicros: Int64 = 86_400_000_000

    public let logger: Logger
    /// Advisory lock serializing partition changes across sink instances.
    static let lockKey: Int64 = 0x7469_636b_6275_74

    public init(logger: Logger) {
        self.logger = logger
    }

    /// A partition and the day it holds.
    public struct Partition: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let table: SinkTable
        /// Midnight UTC, µs since the epoch.
        public let day: Int64
        public var name: String { "\(table.name)_p\(Self.compactDate(day))" }
        public var description: String { name }

        public init(table: SinkTable, day: Int64) {
            self.table = table
            self.day = day
        }

        public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.table, lhs.day) < (rhs.table, rhs.day) }

        static func compactDate(_ day: Int64) -> String {
            let (year, month, dayOfMonth) = CivilCalendar.date(fromDays: day / PartitionManager.dayMicros)
            return String(format: "%04d%02d%02d", year, month, dayOfMonth)
        }

        /// The inverse of ``name`` (`nil` for names this manager did not make).
        static func parse(_ name: String, table: SinkTable) -> Partition? {
            let prefix = table.name + "_p"
            guard name.hasPrefix(prefix), name.count == prefix.count + 8,
                  let number = Int(name.dropFirst(prefix.count)) else { return nil }
            let year = Int64(number / 10000), month = Int64(number / 100 % 100), day = Int64(number % 100)
            guard (1...12).contains(month), (1...31).contains(day) else { return nil }
            let days = CivilCalendar.days(year: year, month: month, day: day)
            let partition = Partition(table: table, day: days * PartitionManager.dayMicros)
            return partition.name == name ? partition : nil
        }
    }

    public static func day(of micros: Int64) -> Int64 {
        CopyTextWriter.floorDivide(micros, dayMicros).0 * dayMicros
    }

    /// The partitions of `table` this manager made (detach-pending ones included).
    public func partitions(of table: SinkTable, on connection: PostgresConnection) async throws(DatabaseError) -> [Partition] {
        do {
            let rows = try await connection.query("""
                SELECT c.relname::text FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = \(table.name)::regclass
                """, logger: logger)
            var result: [Partition] = []
            for try await name in rows.decode(String.self) {
                if let partition = Partition.parse(name, table: table) { result.append(partition) }
            }
            return result.sorted()
        } catch {
            throw DatabaseError(error, while: "listing partitions of \(table.name)")
        }
    }

    /// Creates the missing partitions among `wanted` (idempotent, safe against concurrent instances).
    public func ensure(_ wanted: Set<Partition>, on connection: PostgresConnection) async throws(DatabaseError) -> [Partition] {
        var created: [Partition] = []
        for partition in wanted.sorted() {
            let name = partition.name, parent = partition.table.name
            let from = sqlTimestamp(partition.day), to = sqlTimestamp(partition.day + Self.dayMicros)
            try await connection.execute("BEGIN", logger: logger, doing: "creating \(name)")
            do {
                try await connection.execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger, doing: "locking for \(name)")
                try await connection.execute("SET LOCAL lock_timeout = '10s'", logger: logger, doing: "creating \(name)")
                let exists = try await isAttached(name, on: connection)
                if !exists {
                    try await connection.execute(PostgresQuery(unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(name) (LIKE \(parent) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
                        """), logger: logger, doing: "creating \(name)")
                    try await connection.execute(PostgresQuery(unsafeSQL: """
                        ALTER TABLE \(parent) ATTACH PARTITION \(name) FOR VALUES FROM ('\(from)') TO ('\(to)')
                        """), logger: logger, doing: "attaching \(name)")
                }
                try await connection.execute("COMMIT", logger: logger, doing: "creating \(name)")
                if !exists {
                    created.append(partition)
                    logger.info("partition created", metadata: ["partition": "\(name)"])
                }
            } catch {
                try? await connection.execute("ROLLBACK", logger: logger, doing: "creating \(name)")
                throw error
            }
        }
        return created
    }

    private func isAttached(_ name: String, on connection: PostgresConnection) async throws(DatabaseError) -> Bool {
        do {
            let rows = try await connection.query("""
                SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname = \(name)
                """, logger: logger)
            for try await count in rows.decode(Int.self) { return count > 0 }
            return false
        } catch {
            throw DatabaseError(error, while: "looking up partition \(name)")
        }
    }

    /// Partitions whose whole day is older than `now − retention` of their table.
    public func expired(
        retentionDays: [SinkTable: Int?], now: Int64, on connection: PostgresConnection
    ) async throws(DatabaseError) -> [Partition] {
        var result: [Partition] = []
        for table in SinkTable.allCases {
            guard let days = retentionDays[table] ?? table.defaultRetentionDays else { continue }
            let cutoff = now - Int64(days) * Self.dayMicros
            let attached = try await partitions(of: table, on: connection)
            let orphans = try await detachedTables(of: table, on: connection)
            result += Set(attached + orphans).sorted().filter { $0.day + Self.dayMicros <= cutoff }
        }
        return result
    }

    /// Tables with this manager's naming that are no longer attached: left by a drop interrupted between
    /// its detach and its `DROP TABLE`. Only retention looks at them (never the writer).
    func detachedTables(of table: SinkTable, on connection: PostgresConnection) async throws(DatabaseError) -> [Partition] {
        do {
            let rows = try await connection.query("""
                SELECT c.relname::text FROM pg_class c
                WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
                  AND starts_with(c.relname, \(table.name + "_p"))
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
                """, logger: logger)
            var result: [Partition] = []
            for try await name in rows.decode(String.self) {
                if let partition = Partition.parse(name, table: table) { result.append(partition) }
            }
            return result
        } catch {
            throw DatabaseError(error, while: "listing detached partitions of \(table.name)")
        }
    }

    /// Detaches (concurrently: inserts go on) and drops each partition. A detach interrupted earlier is
    /// finalized first.
    public func drop(_ partitions: [Partition], on connection: PostgresConnection) async throws(DatabaseError) {
        for partition in partitions {
            let name = partition.name, parent = partition.table.name
            if try await isAttached(name, on: connection) {
                do {
                    try await connection.execute(PostgresQuery(unsafeSQL: "ALTER TABLE \(parent) DETACH PARTITION \(name) CONCURRENTLY"),
                                                 logger: logger, doing: "detaching \(name)")
                } catch where error.sqlState == "55000" {
                    // "partition … already pending detach": an earlier run was interrupted.
                    try await connection.execute(PostgresQuery(unsafeSQL: "ALTER TABLE \(parent) DETACH PARTITION \(name) FINALIZE"),
                                                 logger: logger, doing: "finalizing the detach of \(name)")
                }
            }
            try await connection.execute(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \(name)"), logger: logger, doing: "dropping \(name)")
            logger.info("partition dropped", metadata: ["partition": "\(name)"])
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    func sqlTimestamp(_ micros: Int64) -> String {
        var writer = CopyTextWriter(capacity: 32)
        writer.timestamp(micros: micros)
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}
