public import Logging
public import Metrics
public import ServiceLifecycle
import Synchronization
public import TickbusKafka
public import TickbusMarket

/// `aggregator run`: consumer group `aggregator` on every `ticks.<source>` topic → `snapshots.1s`,
/// `windows.15m` (compacted) and `spreads.1s`, through the idempotent producer.
///
/// **Clock.** The highest event time ingested, pushed to the wall clock whenever the consumer has caught up
/// and a poll comes back empty (so quiet sources are still finalized and carried). Pure wall-clock time
/// would make every tick read during a catch-up late.
///
/// **Offsets.** Input offsets are committed only once every second they can touch is final and the records
/// produced so far are acknowledged (producer flushed).
///
/// **Restart and rebalance.** On every assignment the engine is rebuilt: each partition is read from the
/// earlier of its committed offset and the offset for the current window's start minus the carry limit
/// (and 5 s), so the open window's `open` and carried prices are recomputed from the same ticks. Records of
/// seconds emitted before the restart are emitted again with the same keys and values: harmless, because the
/// sink writes on natural keys and `windows.15m` is compacted on its key. Windows that began before the
/// rebuild's first tick are not re-published (their open might not have been read).
///
/// **FX legs** (USDT-USD, USDT-KRW) are read from every partition of their topics by a second, group-less
/// consumer, so an instance that does not own the legs' partitions still values its quotes in USD.
public final class AggregatorService: Service, Sendable {
    public struct Configuration: Sendable {
        public var rules = AggregatorConfiguration()
        public var topics = TopicNames()
        /// Consumer group. Default `aggregator`.
        public var groupID = "aggregator"
        /// Partitions of the output topics when this service creates them. Default 6.
        public var outputPartitions: Int32 = 6
        /// Replication factor of created topics. Default 1 (development broker).
        public var replicationFactor: Int32 = 1
        /// How often final input is committed. Default 1 s.
        public var commitInterval: Duration = .seconds(1)
        /// Ticks this far ahead of the wall clock are refused (counted as future). Default 30 s.
        public var maximumClockSkew: Duration = .seconds(30)
        /// Group session timeout; short so a killed instance's partitions move quickly. Default 6 s.
        public var sessionTimeout: Duration = .seconds(6)
        /// Read the FX legs from all partitions (needed with more than one instance). Default true.
        public var fxSideInput = true

        public init() {}
    }

    private let configuration: Configuration
    private let client: KafkaConfiguration
    private let logger: Logger
    private let metrics: AggregatorMetrics
    private let status = Mutex(Status())

    /// What the service is doing, for probes and tests.
    public struct Status: Sendable, Equatable {
        public var assignedPartitions = 0
        public var catchingUp = true
        public var clock: Int64 = .min
        public var counters = AggregationEngine.Counters()
        public var rebuilds = 0
    }

    public init(configuration: Configuration, client: KafkaConfiguration, logger: Logger, metricsFactory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        metrics = AggregatorMetrics(factory: metricsFactory ?? MetricsSystem.factory)
    }

    public var currentStatus: Status { status.withLock { $0 } }

    public func run() async throws {
        try await ensureOutputTopics()
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        let assignmentChanged = Mutex(true)
        var consumerClient = client
        // A producer started after the aggregator adds its ticks topic within seconds, not librdkafka's 5 min.
        consumerClient.properties["topic.metadata.refresh.interval.ms"] = client.properties["topic.metadata.refresh.interval.ms"] ?? "5000"
        var consumerConfiguration = KafkaConsumerConfiguration(client: consumerClient, groupID: configuration.groupID)
        consumerConfiguration.sessionTimeout = configuration.sessionTimeout
        consumerConfiguration.heartbeatInterval = .milliseconds(500)
        consumerConfiguration.onRebalance = { _ in assignmentChanged.withLock { $0 = true } }
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        try consumer.subscribe(pattern: configuration.topics.ticksPattern)
        let fxConsumer = configuration.fxSideInput
            ? try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client), logger: logger) : nil

        var loop = AggregationLoop(configuration: configuration, logger: logger)
        do {
            try await withGracefulShutdownHandler {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    let messages = try await consumer.poll(maxMessages: 5000, timeout: .milliseconds(100))
                    if assignmentChanged.withLock({ let changed = $0; $0 = false; return changed }) {
                        // Messages of this poll may come from the old positions: the rebuild re-reads them.
                        try await loop.rebuild(consumer: consumer, fxConsumer: fxConsumer)
                        status.withLock { $0.rebuilds += 1 }
                        continue
                    }
                    if let fxConsumer, !fxConsumer.assignment.isEmpty {
                        loop.ingestReference(try await fxConsumer.poll(maxMessages: 20_000, timeout: .zero))
                    }
                    loop.ingest(messages)
                    let output = loop.takeOutput()
                    if !output.isEmpty { _ = try await producer.send(contentsOf: output) }
                    try await loop.commitIfDue(consumer: consumer, producer: producer)
                    publishStatus(loop, consumer: consumer)
                }
            } onGracefulShutdown: {}
        } catch {
            logger.error("aggregator stopped", metadata: ["error": "\(error)"])
            await close(consumer: consumer, fxConsumer: fxConsumer, producer: producer)
            throw error
        }
        // Final seconds are committed; the rest is rebuilt by the next owner.
        try? await loop.commitIfDue(consumer: consumer, producer: producer, force: true)
        await close(consumer: consumer, fxConsumer: fxConsumer, producer: producer)
    }

    private func close(consumer: KafkaConsumer, fxConsumer: KafkaConsumer?, producer: KafkaProducer) async {
        await consumer.close()
        await fxConsumer?.close()
        await producer.shutdown()
    }

    private func publishStatus(_ loop: AggregationLoop, consumer: KafkaConsumer) {
        let counters = loop.engine.counters
        let size = loop.engine.stateSize
        metrics.record(counters: counters, stateSize: size, clock: loop.engine.clock, catchingUp: loop.catchingUp)
        status.withLock {
            $0.assignedPartitions = consumer.assignment.count
            $0.catchingUp = loop.catchingUp
            $0.clock = loop.engine.clock
            $0.counters = counters
        }
    }

    private func ensureOutputTopics() async throws {
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        defer { Task { await admin.close() } }
        let topics = configuration.topics
        let partitions = configuration.outputPartitions, replication = configuration.replicationFactor
        _ = try await admin.createTopics([
            KafkaTopicSpecification(name: topics.snapshots, partitions: partitions, replicationFactor: replication),
            KafkaTopicSpecification(name: topics.spreads, partitions: partitions, replicationFactor: replication),
            KafkaTopicSpecification(
                name: topics.windows, partitions: partitions, replicationFactor: replication,
                configs: ["cleanup.policy": "compact"]),
        ])
    }
}
