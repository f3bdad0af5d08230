import Metrics

/// `tickbus_sink_*`: rows written / merged / expired per table, dead letters, batches and their write time,
/// failed attempts, whether consumption is paused, the last commit time, partitions created and dropped.
struct SinkMetrics: Sendable {
    private let written: [SinkTable: Counter]
    private let merged: [SinkTable: Counter]
    private let expired: [SinkTable: Counter]
    private let deadLetters: Counter
    private let batches: Counter
    private let writeSeconds: Timer
    private let failures: Counter
    private let paused: Gauge
    private let lastCommit: Gauge
    private let partitionsCreated: Counter
    private let partitionsDropped: Counter

    init(factory: any MetricsFactory) {
        func perTable(_ label: String) -> [SinkTable: Counter] {
            Dictionary(uniqueKeysWithValues: SinkTable.allCases.map {
                ($0, Counter(label: label, dimensions: [("table", $0.name)], factory: factory))
            })
        }
        written = perTable("tickbus_sink_rows_written_total")
        merged = perTable("tickbus_sink_rows_merged_total")
        expired = perTable("tickbus_sink_rows_expired_total")
        deadLetters = Counter(label: "tickbus_sink_dead_letters_total", factory: factory)
        batches = Counter(label: "tickbus_sink_batches_total", factory: factory)
        writeSeconds = Timer(label: "tickbus_sink_batch_write_seconds", preferredDisplayUnit: .seconds, factory: factory)
        failures = Counter(label: "tickbus_sink_write_failures_total", factory: factory)
        paused = Gauge(label: "tickbus_sink_consumption_paused", factory: factory)
        lastCommit = Gauge(label: "tickbus_sink_last_commit_timestamp_seconds", factory: factory)
        partitionsCreated = Counter(label: "tickbus_sink_partitions_created_total", factory: factory)
        partitionsDropped = Counter(label: "tickbus_sink_partitions_dropped_total", factory: factory)
    }

    func recordWrite(_ outcome: PostgresBatchWriter.Outcome, expired expiredRows: [SinkTable: Int], deadLetters count: Int, duration: Duration, at seconds: Double) {
        for (table, rows) in outcome.written { written[table]?.increment(by: rows) }
        for (table, rows) in outcome.merged { merged[table]?.increment(by: rows) }
        for (table, rows) in expiredRows { expired[table]?.increment(by: rows) }
        deadLetters.increment(by: count)
        batches.increment()
        writeSeconds.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        lastCommit.record(seconds)
    }

    func recordFailure() { failures.increment() }
    func recordPaused(_ isPaused: Bool) { paused.record(isPaused ? 1 : 0) }
    func recordPartitions(created: Int, dropped: Int) {
        partitionsCreated.increment(by: created)
        partitionsDropped.increment(by: dropped)
    }
}
