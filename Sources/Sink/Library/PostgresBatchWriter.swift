import TickbusPostgres
import Logging
import NIOCore
import PostgresNIO

/// Writes one ``SinkBatch`` in one transaction on one connection.
///
/// Per table: `COPY` straight into the table (the fast path); if a natural key already exists (a redelivery)
/// the same rows go through a temporary staging table and `INSERT … ON CONFLICT DO NOTHING`; windows always
/// take that path with `DO UPDATE`, keeping the newest version and never replacing a final one. If Postgres
/// refuses a row's values, the rows are halved until the culprit is alone; it is returned as a dead letter
/// and the rest are written. Any other failure (connection lost, server down) aborts the transaction and is
/// thrown: the caller retries the whole batch, and nothing was committed.
///
/// Not thread-safe: one task at a time. The sink loop hands it to its write task and awaits that task before
/// touching it again (hence `@unchecked Sendable`).
final class PostgresBatchWriter: @unchecked Sendable {
    struct Outcome: Equatable {
        var written: [SinkTable: Int] = [:]
        /// Rows that took the staging path because their key existed (or windows, always).
        var merged: [SinkTable: Int] = [:]
        var rejected: [(table: SinkTable, row: Int, reason: String)] = []

        static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            lhs.written == rhs.written && lhs.merged == rhs.merged && lhs.rejected.map(\.row) == rhs.rejected.map(\.row)
        }
    }

    let settings: PostgresSettings
    let instance: String
    let logger: Logger
    private let partitions: PartitionManager
    private var connection: PostgresConnection?
    private var knownPartitions: Set<PartitionManager.Partition> = []
    private var connectionCount = 0
    private var stagingReady = false
    /// Bytes per COPY data message.
    private let chunkSize = 1 << 18

    init(settings: PostgresSettings, instance: String, logger: Logger) {
        self.settings = settings
        self.instance = instance
        self.logger = logger
        partitions = PartitionManager(logger: logger)
    }

    /// The open connection, connecting when needed, without touching the schema (for migrations).
    func connectedForMaintenance() async throws(DatabaseError) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        connectionCount += 1
        stagingReady = false
        let fresh = try await settings.connect(logger: logger, id: connectionCount)
        connection = fresh
        return fresh
    }

    /// The open connection with its staging tables and the list of existing partitions.
    func connected() async throws(DatabaseError) -> PostgresConnection {
        let fresh = try await connectedForMaintenance()
        if stagingReady { return fresh }
        do throws(DatabaseError) {
            for table in SinkTable.allCases {
                try await fresh.execute(PostgresQuery(unsafeSQL:
                    "CREATE TEMP TABLE IF NOT EXISTS stage_\(table.name) (LIKE \(table.name) INCLUDING DEFAULTS)"),
                    logger: logger, doing: "creating the staging table of \(table.name)")
            }
            knownPartitions = []
            for table in SinkTable.allCases {
                knownPartitions.formUnion(try await partitions.partitions(of: table, on: fresh))
            }
        } catch {
            await close()
            throw error
        }
        stagingReady = true
        return fresh
    }

    func close() async {
        if let connection { try? await connection.close() }
        connection = nil
    }

    /// Drops the connection after a failure, so the next attempt starts clean.
    func reset() async {
        await close()
    }

    func write(_ batch: SinkBatch) async throws(DatabaseError) -> Outcome {
        let connection = try await connected()
        try await ensurePartitions(for: batch, on: connection)
        var outcome = Outcome()
        try await connection.execute("BEGIN", logger: logger, doing: "starting the write transaction")
        do {
            for (table, rows) in batch.tables.sorted(by: { $0.key < $1.key }) {
                let live = rows.liveRows
                guard !live.isEmpty else { continue }
                try await write(live[...], of: rows, table: table, merge: table.upserts, on: connection, outcome: &outcome)
            }
            let total = outcome.written.values.reduce(0, +)
            try await connection.execute("""
                INSERT INTO sink_progress (instance, last_commit_at, rows_written) VALUES (\(instance), now(), \(total))
                ON CONFLICT (instance) DO UPDATE
                SET last_commit_at = now(), rows_written = sink_progress.rows_written + EXCLUDED.rows_written
                """, logger: logger, doing: "recording progress")
            try await connection.execute("COMMIT", logger: logger, doing: "committing the write transaction")
        } catch {
            try? await connection.execute("ROLLBACK", logger: logger, doing: "rolling back")
            throw error
        }
        return outcome
    }

    private func ensurePartitions(for batch: SinkBatch, on connection: PostgresConnection) async throws(DatabaseError) {
        var missing = Set<PartitionManager.Partition>()
        for (table, rows) in batch.tables {
            var lastDay = Int64.min
            for time in rows.times {
                let day = PartitionManager.day(of: time)
                if day == lastDay { continue }
                lastDay = day
                let partition = PartitionManager.Partition(table: table, day: day)
                if !knownPartitions.contains(partition) { missing.insert(partition) }
            }
        }
        guard !missing.isEmpty else { return }
        _ = try await partitions.ensure(missing, on: connection)
        knownPartitions.formUnion(missing)
    }

    /// Writes `rows` in a savepoint; see the type's documentation for the fallbacks.
    private func write(
        _ subset: ArraySlice<Int>, of rows: TableRows, table: SinkTable, merge: Bool,
        on connection: PostgresConnection, outcome: inout Outcome
    ) async throws(DatabaseError) {
        try await connection.execute("SAVEPOINT rows", logger: logger, doing: "writing \(table.name)")
        do {
            if merge {
                try await connection.execute(PostgresQuery(unsafeSQL: "TRUNCATE stage_\(table.name)"), logger: logger, doing: "clearing stage_\(table.name)")
                try await copy(subset, of: rows, into: "stage_\(table.name)", table: table, on: connection)
                try await connection.execute(PostgresQuery(unsafeSQL: Self.mergeStatement(table)), logger: logger, doing: "merging \(table.name)")
                outcome.merged[table, default: 0] += subset.count
            } else {
                try await copy(subset, of: rows, into: table.name, table: table, on: connection)
            }
            try await connection.execute("RELEASE SAVEPOINT rows", logger: logger, doing: "writing \(table.name)")
            outcome.written[table, default: 0] += subset.count
        } catch {
            guard error.code == .duplicateKey || error.code == .rejectedData else { throw error }
            try await connection.execute("ROLLBACK TO SAVEPOINT rows", logger: logger, doing: "retrying \(table.name)")
            try await connection.execute("RELEASE SAVEPOINT rows", logger: logger, doing: "retrying \(table.name)")
            if error.code == .duplicateKey && !merge {
                try await write(subset, of: rows, table: table, merge: true, on: connection, outcome: &outcome)
            } else if error.code == .rejectedData && subset.count == 1 {
                outcome.rejected.append((table, subset.first!, error.description))
            } else if error.code == .rejectedData {
                let middle = subset.startIndex + subset.count / 2
                try await write(subset[..<middle], of: rows, table: table, merge: merge, on: connection, outcome: &outcome)
                try await write(subset[middle...], of: rows, table: table, merge: merge, on: connection, outcome: &outcome)
            } else {
                throw error  // a duplicate key in the merge path cannot happen (ON CONFLICT)
            }
        }
    }

    private func copy(
        _ subset: ArraySlice<Int>, of rows: TableRows, into target: String, table: SinkTable,
        on connection: PostgresConnection
    ) async throws(DatabaseError) {
        let chunkSize = self.chunkSize
        let contiguous = subset.count == rows.count  // every row, in order: send the buffer as it is
        do {
            try await connection.copyFrom(table: target, columns: table.columns, logger: logger) { writer in
                var buffer = ByteBuffer()
                buffer.reserveCapacity(chunkSize + 4096)
                if contiguous {
                    var offset = 0
                    while offset < rows.writer.count {
                        let end = min(offset + chunkSize, rows.writer.count)
                        buffer.clear()
                        buffer.writeBytes(rows.writer.bytes[offset..<end])
                        try await writer.write(buffer)
                        offset = end
                    }
                } else {
                    for row in subset {
                        buffer.writeBytes(rows.writer.bytes[rows.range(ofRow: row)])
                        if buffer.readableBytes >= chunkSize {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
            }
        } catch {
            throw DatabaseError(error, while: "copying \(subset.count) rows into \(target)")
        }
    }

    static func mergeStatement(_ table: SinkTable) -> String {
        let columns = table.columns.joined(separator: ", ")
        let key = table.naturalKey.joined(separator: ", ")
        var sql = "INSERT INTO \(table.name) AS t (\(columns)) SELECT \(columns) FROM stage_\(table.name) ON CONFLICT (\(key)) "
        if table.upserts {
            let updates = table.columns.filter { !table.naturalKey.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }
            sql += "DO UPDATE SET \(updates.joined(separator: ", ")), updated_at = now() "
            sql += "WHERE NOT t.final AND (EXCLUDED.final OR EXCLUDED.as_of >= t.as_of)"
        } else {
            sql += "DO NOTHING"
        }
        return sql
    }
}
