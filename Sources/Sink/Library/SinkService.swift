public import TickbusPostgres
import Foundation
public import Logging
public import Metrics
public import ServiceLifecycle
import Synchronization
public import TickbusKafka
public import TickbusMarket

/// `sink run`: consumer group `sink` on every Tickbus topic → Postgres (docs/tables.md).
///
/// Records are batched up to ``Configuration/batchRows`` rows or ``Configuration/batchDelay``, whichever
/// comes first, and each batch is one transaction (``PostgresBatchWriter``). Offsets are stored and
/// committed only after that transaction commits and the batch's dead letters are acknowledged, so a crash
/// at any point redelivers rather than loses, and redelivery is absorbed by the natural keys.
///
/// **Outages.** A failed write pauses every assigned partition (polls go on, keeping the group membership)
/// and retries the same batch with capped exponential backoff; consumption resumes after it commits.
/// **Rebalances** drop the unwritten batch and rewind to the committed offsets: the next owner, or this
/// instance, reads those records again.
/// **Maintenance** (partitions ahead, retention) runs at start and every ``Configuration/maintenanceInterval``.
public final class SinkService: Service, Sendable {
    public struct Configuration: Sendable {
        public var postgres = PostgresSettings()
        public var topics = TopicNames()
        /// Consumer group. Default `sink`.
        public var groupID = "sink"
        /// Name in `sink_progress`. Default `<host>-<pid>`.
        public var instance = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
        /// Most rows in one transaction. Default 20 000.
        public var batchRows = 20_000
        /// Longest a record waits for its batch to be written. Default 250 ms.
        public var batchDelay: Duration = .milliseconds(250)
        /// Retention per table in days, overriding ``SinkTable/defaultRetentionDays`` (`nil` value: forever).
        public var retentionDays: [SinkTable: Int?] = [:]
        /// Days of partitions kept ready after today (rows up to this far ahead are accepted). Default 3.
        public var partitionsAhead = 3
        /// How often partitions are created ahead and expired ones dropped. Default 10 min.
        public var maintenanceInterval: Duration = .seconds(600)
        /// Retry delays after a failed write. Default 200 ms doubling to 10 s.
        public var backoff = Backoff.Configuration(initial: .milliseconds(200), cap: .seconds(10))
        /// Group session timeout. Default 6 s.
        public var sessionTimeout: Duration = .seconds(6)
        /// Partitions of `dlq.sink` when this service creates it. Default 3.
        public var deadLetterPartitions: Int32 = 3
        public var replicationFactor: Int32 = 1

        public init() {}

        /// Effective retention of a table in days (`nil`: forever).
        public func retention(of table: SinkTable) -> Int? {
            if let override = retentionDays[table] { return override }
            return table.defaultRetentionDays
        }
    }

    /// What the service has done, for probes and tests.
    public struct Status: Sendable, Equatable {
        public var migrated = false
        public var batches = 0
        public var rowsWritten = 0
        public var deadLetters = 0
        public var failedAttempts = 0
        public var paused = false
        public var discardedBatches = 0
    }

    private let configuration: Configuration
    private let client: KafkaConfiguration
    private let logger: Logger
    private let metrics: SinkMetrics
    private let shared = SinkSharedState()

    public init(configuration: Configuration, client: KafkaConfiguration, logger: Logger, metricsFactory: (any MetricsFactory)? = nil) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        metrics = SinkMetrics(factory: metricsFactory ?? MetricsSystem.factory)
    }

    public var currentStatus: Status { shared.status.withLock { $0 } }

    public func run() async throws {
        let writer = PostgresBatchWriter(settings: configuration.postgres, instance: configuration.instance, logger: logger)
        guard try await prepareDatabase(writer) else { return }
        try await ensureDeadLetterTopic()
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        var consumerClient = client
        // Topics that appear later (a producer's first start) join the subscription within seconds.
        consumerClient.properties["topic.metadata.refresh.interval.ms"] = client.properties["topic.metadata.refresh.interval.ms"] ?? "5000"
        var consumerConfiguration = KafkaConsumerConfiguration(client: consumerClient, groupID: configuration.groupID)
        consumerConfiguration.sessionTimeout = configuration.sessionTimeout
        consumerConfiguration.heartbeatInterval = .milliseconds(500)
        consumerConfiguration.onRebalance = { [shared] _ in shared.rebalanced.withLock { $0 = true } }
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: logger)
        try consumer.subscribe(pattern: SinkTable.topicPattern(configuration.topics))

        var loop = SinkLoop(
            configuration: configuration, logger: logger, metrics: metrics, shared: shared,
            consumer: consumer, producer: producer, writer: writer)
        do {
            try await withGracefulShutdownHandler {
                try await loop.run()
            } onGracefulShutdown: {}
            try await loop.finish()
        } catch {
            logger.error("sink stopped", metadata: ["error": "\(error)"])
            await consumer.close()
            await producer.shutdown()
            await writer.close()
            throw error
        }
        await consumer.close()
        await producer.shutdown()
        await writer.close()
    }

    /// Migrates and runs maintenance once, retrying while Postgres is unreachable. `false` on shutdown.
    private func prepareDatabase(_ writer: PostgresBatchWriter) async throws -> Bool {
        var backoff = Backoff(configuration: configuration.backoff)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do throws(DatabaseError) {
                let connection = try await writer.connectedForMaintenance()
                try await SchemaMigrator(logger: logger).migrate(connection)
                shared.status.withLock { $0.migrated = true }
                try await SinkMaintenance(configuration: configuration, logger: logger, metrics: metrics).run(on: connection)
                await writer.reset()  // reconnect so the staging tables are made against the migrated schema
                return true
            } catch {
                if error.code == .configuration { throw error }
                let delay = backoff.next()
                logger.warning("postgres not ready; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                await writer.reset()
                try? await Task.sleep(for: delay)
            }
        }
        return false
    }

    private func ensureDeadLetterTopic() async throws {
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        defer { Task { await admin.close() } }
        _ = try await admin.createTopics([KafkaTopicSpecification(
            name: configuration.topics.sinkDeadLetters, partitions: configuration.deadLetterPartitions,
            replicationFactor: configuration.replicationFactor)])
    }
}

/// State the service, its loop and the rebalance callback share.
final class SinkSharedState: Sendable {
    let status = Mutex(SinkService.Status())
    /// Set by the consumer's rebalance callback, taken by the loop.
    let rebalanced = Mutex(false)
}

extension SinkService {
    /// One maintenance pass (`sink retention`): partitions ahead and retention; with `dryRun`, only lists.
    public static func maintainOnce(
        configuration: Configuration, dryRun: Bool, logger: Logger
    ) async throws(DatabaseError) -> (created: [PartitionManager.Partition], dropped: [PartitionManager.Partition]) {
        let connection = try await configuration.postgres.connect(logger: logger)
        do throws(DatabaseError) {
            let version = try await SchemaMigrator(logger: logger).currentVersion(connection)
            guard version >= SinkSchema.latestVersion else {
                throw DatabaseError(.server, "the schema is at version \(version), expected \(SinkSchema.latestVersion): run 'sink migrate'")
            }
            let report = try await SinkMaintenance(configuration: configuration, logger: logger, metrics: nil)
                .run(on: connection, dryRun: dryRun)
            try? await connection.close()
            return (report.created, report.dropped)
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
