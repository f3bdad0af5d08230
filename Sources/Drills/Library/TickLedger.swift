import Foundation
import Logging
import PostgresNIO
import TickbusKafka
import TickbusMarket
import TickbusPostgres

/// Exact accounting of ticks by producer and `seq`: what the broker acknowledged (the records of the tick
/// topics between two marks of end offsets) against the rows of `ticks`. Across marks it keeps, per producer,
/// how many records it saw and the lowest and highest `seq`, so that at the end "no gap, no duplicate in the
/// broker" is `count == max − min + 1` with `min == 1`.
actor TickLedger {
    struct Window {
        var published = 0
        var stored = 0
        var lost = 0
        /// Rows of `ticks` beyond one per (producer, seq).
        var duplicatedRows = 0
        /// Records the broker holds twice (same producer and seq) within the window.
        var duplicatedRecords = 0
        var lostExamples: [String] = []
    }

    struct ProducerRange {
        var records = 0
        var lowest = UInt64.max
        var highest: UInt64 = 0
    }

    let pipeline: DrillPipeline
    let logger: Logger
    private var producers: [String: ProducerRange] = [:]
    /// End offsets where the previous window ended.
    private var mark: [KafkaTopicPartition: Int64] = [:]

    init(pipeline: DrillPipeline, logger: Logger) {
        self.pipeline = pipeline
        self.logger = logger
    }

    /// End offsets (high watermarks) of every partition of every tick topic.
    func endOffsets() async throws -> [KafkaTopicPartition: Int64] {
        let admin = try KafkaAdmin(configuration: pipeline.kafka, logger: logger)
        defer { Task { await admin.close() } }
        var partitions: [KafkaTopicPartition] = []
        for topic in pipeline.tickTopics() {
            let count = try await admin.describeTopic(topic).partitions.count
            partitions += (0..<Int32(count)).map { KafkaTopicPartition(topic: topic, partition: $0) }
        }
        return try await admin.watermarks(partitions).mapValues(\.high)
    }

    /// Whether the sink's group has committed at least `offsets` on every partition.
    func sinkCommitted(_ offsets: [KafkaTopicPartition: Int64]) async throws -> Bool {
        let admin = try KafkaAdmin(configuration: pipeline.kafka, logger: logger)
        defer { Task { await admin.close() } }
        let committed = try await admin.committedOffsets(group: pipeline.sinkGroup, topics: pipeline.tickTopics())
        return offsets.allSatisfy { partition, end in end == 0 || (committed[partition].flatMap { $0 } ?? -1) >= end }
    }

    /// The (producer, seq) of every record from the previous mark up to `to` on every partition, and the
    /// offsets reached (the next window starts there). Without `to`, everything until the topics have been
    /// quiet for 2 s: the broker's high watermark can trail the last batch, so the final window (producers
    /// stopped) is read to its real end instead of to a mark.
    func read(to: [KafkaTopicPartition: Int64]?) async throws -> (records: [String: [UInt64]], reached: [KafkaTopicPartition: Int64]) {
        let from = mark
        var seqs: [String: [UInt64]] = [:]
        var reached = from
        let partitions: [KafkaTopicPartition]
        if let to { partitions = Array(to.keys) } else { partitions = Array(try await endOffsets().keys) }
        let pending = partitions.filter { partition in to.map { $0[partition]! > (from[partition] ?? 0) } ?? true }
        if !pending.isEmpty {
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: pipeline.kafka), logger: logger)
            try await consumer.assign(Dictionary(uniqueKeysWithValues: pending.map { ($0, KafkaOffset.exact(from[$0] ?? 0)) }))
            var remaining = Set(pending)
            var quiet = 0
            let deadline = ContinuousClock.now + .seconds(120)
            while (to == nil ? quiet < 8 : !remaining.isEmpty) && ContinuousClock.now < deadline {
                let batch = try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(250))
                quiet = batch.isEmpty ? quiet + 1 : 0
                for message in batch {
                    let partition = KafkaTopicPartition(topic: message.topic, partition: message.partition)
                    if let end = to?[partition], message.offset >= end { continue }
                    let tick = try TickCodec.decode(message.value)
                    seqs[tick.producer, default: []].append(tick.sequence)
                    reached[partition] = message.offset + 1
                    if message.offset == (to?[partition] ?? 0) - 1 { remaining.remove(partition) }
                }
            }
            await consumer.close()
            guard to == nil || remaining.isEmpty else {
                throw DrillError("could not read the tick records up to the mark on \(remaining.count) partitions")
            }
        }
        mark = reached.merging(to ?? [:]) { max($0, $1) }
        return (seqs, mark)
    }

    /// Looks each (producer, seq) up in `ticks` (once the sink has committed past them).
    func lookUp(_ seqs: [String: [UInt64]]) async throws -> Window {
        var window = Window()
        let connection = try await pipeline.postgres.connect(logger: logger)
        defer { Task { try? await connection.close() } }
        for (producer, list) in seqs {
            let unique = Set(list)
            window.published += unique.count
            window.duplicatedRecords += list.count - unique.count
            var range = producers[producer] ?? ProducerRange()
            range.records += list.count
            range.lowest = min(range.lowest, unique.min() ?? .max)
            range.highest = max(range.highest, unique.max() ?? 0)
            producers[producer] = range
            var found: [UInt64: Int] = [:]
            let rows = try await connection.query(
                "SELECT seq FROM ticks WHERE producer = \(producer) AND seq BETWEEN \(Int64(unique.min() ?? 0)) AND \(Int64(unique.max() ?? 0))",
                logger: logger)
            for try await seq in rows.decode(Int64.self) where unique.contains(UInt64(seq)) { found[UInt64(seq), default: 0] += 1 }
            window.stored += found.count
            window.duplicatedRows += found.values.reduce(0) { $0 + $1 - 1 }
            let missing = unique.filter { found[$0] == nil }
            window.lost += missing.count
            window.lostExamples += missing.sorted().prefix(3).map { "\(producer)#\($0)" }
        }
        return window
    }

    /// Producers whose records, over every window so far, are not exactly `1...max` once each.
    func sequenceProblems() -> [String] {
        producers.sorted { $0.key < $1.key }.compactMap { producer, range in
            let span = Int(range.highest) - Int(range.lowest) + 1
            guard range.lowest != 1 || range.records != span else { return nil }
            return "\(producer): \(range.records) records for seq \(range.lowest)...\(range.highest)"
        }
    }
}
