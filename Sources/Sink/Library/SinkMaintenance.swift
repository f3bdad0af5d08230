import TickbusPostgres
import Logging
import PostgresNIO
import TickbusMarket

/// Partitions ahead and retention, as one pass: `sink run` calls it periodically, `sink retention` once.
struct SinkMaintenance {
    let configuration: SinkService.Configuration
    let logger: Logger
    let metrics: SinkMetrics?

    struct Report: Sendable {
        var created: [PartitionManager.Partition] = []
        var dropped: [PartitionManager.Partition] = []
    }

    /// Every table gets partitions from yesterday through today + `partitionsAhead`; partitions past their
    /// table's retention are dropped (only listed when `dryRun`).
    @discardableResult
    func run(on connection: PostgresConnection, now: Int64 = WallClock.microseconds(), dryRun: Bool = false) async throws(DatabaseError) -> Report {
        let manager = PartitionManager(logger: logger)
        var report = Report()
        let today = PartitionManager.day(of: now)
        var wanted = Set<PartitionManager.Partition>()
        for table in SinkTable.allCases {
            for offset in -1...configuration.partitionsAhead {
                let day = today + Int64(offset) * PartitionManager.dayMicros
                if let days = configuration.retention(of: table), day + PartitionManager.dayMicros <= now - Int64(days) * PartitionManager.dayMicros {
                    continue  // would be dropped right away
                }
                wanted.insert(PartitionManager.Partition(table: table, day: day))
            }
        }
        let retention = Dictionary(uniqueKeysWithValues: SinkTable.allCases.map { ($0, configuration.retention(of: $0)) })
        report.dropped = try await manager.expired(retentionDays: retention, now: now, on: connection)
        if !dryRun {
            let existing = try await existingPartitions(manager, on: connection)
            report.created = try await manager.ensure(wanted.subtracting(existing), on: connection)
            try await manager.drop(report.dropped, on: connection)
            metrics?.recordPartitions(created: report.created.count, dropped: report.dropped.count)
        }
        return report
    }

    private func existingPartitions(_ manager: PartitionManager, on connection: PostgresConnection) async throws(DatabaseError) -> Set<PartitionManager.Partition> {
        var existing = Set<PartitionManager.Partition>()
        for table in SinkTable.allCases { existing.formUnion(try await manager.partitions(of: table, on: connection)) }
        return existing
    }
}
