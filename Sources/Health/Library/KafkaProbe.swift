import Logging
import TickbusKafka
import TickbusMarket

/// What the broker says about the consumer groups at one moment.
public struct KafkaMeasurements: Sendable, Equatable {
    public struct GroupLag: Sendable, Equatable {
        public var topics: [String]
        public var partitions: Int
        /// Partitions the group has committed an offset for.
        public var committedPartitions: Int
        /// Records after the committed offsets (after the log start where nothing is committed).
        public var messages: Int64
        /// Broker timestamp (ms) of the oldest record the group has not consumed; `nil` when it is caught up
        /// or the record could not be read in time.
        public var oldestUnconsumedMillis: Int64?
    }

    public var topics: Int
    public var groups: [ConsumerGroup: GroupLag] = [:]
    public var roundTrip: Duration = .zero
}

/// Consumer lag from committed offsets vs high watermarks, and the age of the first unconsumed record of
/// each lagging partition (read by a group-less consumer that only assigns and never commits).
final class KafkaProbe: @unchecked Sendable {
    private let configuration: HealthConfiguration
    private let client: KafkaConfiguration
    private let logger: Logger
    // One evaluation at a time (HealthEvaluator is an actor).
    private var admin: KafkaAdmin?
    private var peeker: KafkaConsumer?

    init(configuration: HealthConfiguration, client: KafkaConfiguration, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    func close() async {
        await admin?.close()
        await peeker?.close()
        admin = nil
        peeker = nil
    }

    func measure(now: Int64) async throws(KafkaError) -> KafkaMeasurements {
        let started = ContinuousClock.now
        do throws(KafkaError) {
            let admin = try connectedAdmin()
            let names = try await admin.listTopics().map(\.name)
            var result = KafkaMeasurements(topics: names.count)
            for group in configuration.groups {
                let topics = group.topics(of: names, names: configuration.topics)
                let lags = topics.isEmpty ? [] : try await admin.consumerLag(group: group.groupID, topics: topics)
                var lag = KafkaMeasurements.GroupLag(
                    topics: topics, partitions: lags.count, committedPartitions: lags.filter { $0.committed != nil }.count,
                    messages: lags.reduce(0) { $0 + $1.lag })
                let behind = lags.filter { $0.lag > 0 }
                if !behind.isEmpty {
                    lag.oldestUnconsumedMillis = try await oldestTimestamp(behind)
                }
                result.groups[group] = lag
            }
            result.roundTrip = ContinuousClock.now - started
            return result
        } catch {
            await close()
            throw error
        }
    }

    private func connectedAdmin() throws(KafkaError) -> KafkaAdmin {
        if let admin { return admin }
        let fresh = try KafkaAdmin(configuration: client, logger: logger, timeout: configuration.checkTimeout)
        admin = fresh
        return fresh
    }

    /// The smallest timestamp among the first unconsumed record of each partition.
    private func oldestTimestamp(_ lags: [KafkaPartitionLag]) async throws(KafkaError) -> Int64? {
        let consumer: KafkaConsumer
        if let peeker {
            consumer = peeker
        } else {
            var peekClient = client
            peekClient.statisticsInterval = nil
            var peekConfiguration = KafkaConsumerConfiguration(client: peekClient)
            peekConfiguration.autoOffsetReset = .earliest
            consumer = try KafkaConsumer(configuration: peekConfiguration, logger: logger)
            peeker = consumer
        }
        var positions: [KafkaTopicPartition: KafkaOffset] = [:]
        for lag in lags {
            positions[lag.topicPartition] = .exact(max(lag.committed ?? lag.watermarks.low, lag.watermarks.low))
        }
        try await consumer.assign(positions)
        var firstTimestamps: [KafkaTopicPartition: Int64] = [:]
        let deadline = ContinuousClock.now + .seconds(2)
        while firstTimestamps.count < positions.count, ContinuousClock.now < deadline {
            for message in try await consumer.poll(maxMessages: 500, timeout: .milliseconds(100)) {
                let partition = message.topicPartition
                guard firstTimestamps[partition] == nil, let timestamp = message.timestamp else { continue }
                firstTimestamps[partition] = timestamp
                // Nothing more is needed from this partition.
                try? consumer.pause([partition])
            }
        }
        // librdkafka keeps a partition's pause across assignments; the next group's peek may need it.
        try? consumer.resume(Array(positions.keys))
        try await consumer.assign([:])
        return firstTimestamps.values.min()
    }
}
