internal import CRdKafka
import Dispatch
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization

/// A Kafka consumer with at-least-once semantics: the application stores the offsets of what it has
/// processed (``store(_:)``) and commits them (``commit()``); nothing is committed behind its back.
///
/// Polls run on a dedicated dispatch queue (librdkafka's batch consume blocks), one at a time; rebalance
/// callbacks run there too. As a `Service`, `run()` returns after graceful shutdown closed the consumer,
/// which commits stored offsets and leaves the group.
public final class KafkaConsumer: Service, Sendable {
    private let client: RDKafkaClient
    private let configuration: KafkaConsumerConfiguration
    private let logger: Logger
    private let pollQueue: DispatchQueue
    private let consumerQueue: RDKafkaQueueHandle
    private let closed = Atomic<Bool>(false)
    private let assignmentState = Mutex<Set<KafkaTopicPartition>>([])
    private let topicNames = Mutex<[UInt: String]>([:])
    private let consumed: Counter
    private let consumeErrors: Counter

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger, configuration: configuration.client, role: "consumer")
        self.client = try RDKafkaClient(kind: .consumer, properties: configuration.rdkafkaProperties(), context: context) {
            rd_kafka_conf_set_rebalance_cb($0, RDKafkaCallbacks.rebalance)
        }
        self.configuration = configuration
        self.logger = context.logger
        self.pollQueue = DispatchQueue(label: "tickbus.kafka.\(configuration.client.clientID).consume")
        // Route every event of the handle (rebalances, errors, logs) through the consumer queue.
        rd_kafka_poll_set_consumer(client.handle)
        self.consumerQueue = RDKafkaQueueHandle(pointer: rd_kafka_queue_get_consumer(client.handle))
        let dimensions = [("client_id", configuration.client.clientID)]
        self.consumed = Counter(label: "kafka_consumer_messages_total", dimensions: dimensions)
        self.consumeErrors = Counter(label: "kafka_consumer_errors_total", dimensions: dimensions)
        context.onRebalance = { [unowned self] handle, err, partitions in
            self.rebalance(handle: handle, err: err, partitions: partitions)
        }
    }

    // MARK: Subscription and assignment

    /// Joins the group and subscribes to these topics; names starting with `^` are regular expressions
    /// (librdkafka matches them against the cluster's topics, including ones created later).
    public func subscribe(topics: [String]) throws(KafkaError) {
        guard configuration.groupID != nil else {
            throw KafkaError(code: .invalidConfiguration, reason: "subscribe needs a group id (group.id)")
        }
        let list = RDKafkaTopicPartitionList.make(topics.map { (KafkaTopicPartition(topic: $0, partition: -1), 0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_subscribe(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, reason: "subscribe to \(topics)") }
    }

    /// Subscribes to every topic matching a regular expression (POSIX extended, as librdkafka uses).
    public func subscribe(pattern: String) throws(KafkaError) {
        try subscribe(topics: [pattern.hasPrefix("^") ? pattern : "^" + pattern])
    }

    /// Takes these partitions without the group protocol, starting at the given positions.
    public func assign(_ positions: [KafkaTopicPartition: KafkaOffset]) async throws(KafkaError) {
        let entries = positions.map { ($0.key, RDKafkaTopicPartitionList.offset($0.value)) }
        try await client.blocking { handle throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_assign(handle, list)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, reason: "assign \(positions.keys.sorted())") }
        }
        assignmentState.withLock { $0 = Set(positions.keys) }
    }

    /// The partitions currently assigned, by the group or by ``assign(_:)``.
    public var assignment: Set<KafkaTopicPartition> { assignmentState.withLock { $0 } }

    /// Moves the fetch position of assigned partitions.
    public func seek(_ positions: [KafkaTopicPartition: KafkaOffset], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let entries = positions.map { ($0.key, RDKafkaTopicPartitionList.offset($0.value)) }
        try await client.blocking { handle throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(handle, list, timeout.timeoutMilliseconds) {
                throw KafkaError(consuming: error)
            }
            for entry in RDKafkaTopicPartitionList.read(list) where entry.error != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(entry.error, reason: "seek \(entry.topicPartition): \(String(cString: rd_kafka_err2str(entry.error)))")
            }
        }
    }

    /// Stops fetching these partitions; polls keep the group membership alive but return none of their
    /// messages (librdkafka drops what it prefetched). ``resume(_:)`` continues from the last message returned.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try pauseOrResume(partitions, pause: true)
    }

    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        try pauseOrResume(partitions, pause: false)
    }

    private func pauseOrResume(_ partitions: [KafkaTopicPartition], pause: Bool) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, RDKafkaConstants.offsetInvalid) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = pause ? rd_kafka_pause_partitions(client.handle, list) : rd_kafka_resume_partitions(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, reason: "\(pause ? "pause" : "resume") \(partitions.sorted())")
        }
    }

    // MARK: Consuming

    /// Waits up to `timeout` for messages and returns at most `maxMessages` (possibly none).
    ///
    /// - Throws: ``KafkaError`` for fatal consumer errors, and for errors a message carries other than
    ///   end-of-partition; transient broker errors are retried by librdkafka and only logged.
    public func poll(maxMessages: Int = 1000, timeout: Duration = .milliseconds(100)) async throws(KafkaError) -> [KafkaConsumerMessage] {
        guard !closed.load(ordering: .acquiring) else { throw .shutDown("poll") }
        let outcome: Result<[KafkaConsumerMessage], KafkaError> = await withCheckedContinuation { continuation in
            pollQueue.async { [self] in
                continuation.resume(returning: consumeBatch(maxMessages: maxMessages, timeout: timeout))
            }
        }
        return try outcome.get()
    }

    /// An endless sequence of non-empty batches, ending when the task is cancelled or the consumer closes.
    public func batches(maxMessages: Int = 1000) -> KafkaConsumerBatches {
        KafkaConsumerBatches(consumer: self, maxMessages: maxMessages)
    }

    private func consumeBatch(maxMessages: Int, timeout: Duration) -> Result<[KafkaConsumerMessage], KafkaError> {
        guard !closed.load(ordering: .acquiring) else { return .failure(.shutDown("poll")) }
        let capacity = max(1, maxMessages)
        // Wait up to `timeout` for the first message only, then take what is already queued: the batch
        // call would keep waiting to fill the batch, which halves throughput when fetches are small.
        var messages: [KafkaConsumerMessage] = []
        var failure: KafkaError?
        var lastTopic: (handle: OpaquePointer?, name: String) = (nil, "")
        var wait = timeout.timeoutMilliseconds
        while messages.count < capacity, let message = rd_kafka_consumer_poll(client.handle, wait) {
            defer { rd_kafka_message_destroy(message) }
            wait = 0
            let err = message.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                if message.pointee.rkt != lastTopic.handle {
                    lastTopic = (message.pointee.rkt, topicName(message.pointee.rkt))
                }
                messages.append(makeMessage(message, topic: lastTopic.name))
            } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF, failure == nil {
                failure = consumerError(message)
            }
        }
        consumed.increment(by: messages.count)
        // A batch with both: hand over the messages; a persistent error will come again.
        if let failure, messages.isEmpty { return .failure(failure) }
        return .success(messages)
    }

    private func consumerError(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaError? {
        consumeErrors.increment()
        let err = message.pointee.err
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
        var fatal = [CChar](repeating: 0, count: 512)
        if err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(client.handle, &fatal, fatal.count) != RD_KAFKA_RESP_ERR_NO_ERROR {
            return KafkaError(code: KafkaError.Code(err), reason: client.context.scrub(text), isFatal: true)
        }
        // Transport and partition errors are retried by librdkafka; with a group, unknown topics are too.
        logger.warning("consumer error", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(err)))", "kafka.reason": "\(text)"])
        if err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED {
            return KafkaError(err, reason: client.context.scrub(text))
        }
        return nil
    }

    private func makeMessage(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> KafkaConsumerMessage {
        let record = message.pointee
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaConsumerMessage(
            topic: topic,
            partition: record.partition,
            offset: record.offset,
            key: record.key.map { copyBytes($0, count: record.key_len) },
            value: record.payload.map { copyBytes($0, count: record.len) } ?? [],
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }

    /// Topic names by handle address: one C-string conversion per topic, not per message.
    private func topicName(_ topic: OpaquePointer?) -> String {
        guard let topic else { return "" }
        let address = UInt(bitPattern: topic)
        if let name = topicNames.withLock({ $0[address] }) { return name }
        let name = String(cString: rd_kafka_topic_name(topic))
        topicNames.withLock { $0[address] = name }
        return name
    }

    // MARK: Offsets

    /// Marks these messages processed: their offsets + 1 are committed by the next ``commit()``.
    public func store(_ messages: some Sequence<KafkaConsumerMessage>) throws(KafkaError) {
        var next: [KafkaTopicPartition: Int64] = [:]
        for message in messages {
            let key = KafkaTopicPartition(topic: message.topic, partition: message.partition)
            next[key] = max(next[key] ?? 0, message.offset + 1)
        }
        try store(offsets: next)
    }

    /// Marks the next offset to read of each partition as processed.
    public func store(offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList.make(offsets.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_store(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, reason: "store offsets: \(String(cString: rd_kafka_err2str(err))) (partitions no longer assigned?)")
        }
    }

    /// Commits the stored offsets and waits for the broker's answer. Nothing stored is not an error.
    public func commit() async throws(KafkaError) {
        try await client.blocking { handle throws(KafkaError) in
            let err = rd_kafka_commit(handle, nil, 0)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else {
                throw KafkaError(err, reason: "commit: \(String(cString: rd_kafka_err2str(err)))")
            }
        }
    }

    /// The group's committed offsets of these partitions (`nil` where nothing is committed).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        try await client.blocking { handle throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, RDKafkaConstants.offsetInvalid) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle, list, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
            var result: [KafkaTopicPartition: Int64?] = [:]
            for entry in RDKafkaTopicPartitionList.read(list) {
                result[entry.topicPartition] = entry.offset >= 0 ? entry.offset : nil
            }
            return result
        }
    }

    /// For each partition, the first offset whose timestamp is ≥ `timestamp` (ms since epoch), or the high
    /// watermark when every message is older.
    public func offsetsForTimes(_ partitions: [KafkaTopicPartition], timestamp: Int64, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await client.offsetsForTimes(partitions, timestamp: timestamp, timeout: timeout)
    }

    public func watermarks(_ topicPartition: KafkaTopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaWatermarks {
        try await client.watermarks(topicPartition, timeout: timeout)
    }

    public func topics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicDescription] {
        try await client.metadata(topic: nil, timeout: timeout)
    }

    // MARK: Rebalance (poll queue)

    private func rebalance(handle: OpaquePointer, err: rd_kafka_resp_err_t, partitions: RDKafkaTopicPartitionList.Pointer) {
        let changed = RDKafkaTopicPartitionList.read(partitions).map(\.topicPartition).sorted()
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.info("partitions assigned", metadata: ["kafka.partitions": "\(changed)"])
            configuration.onRebalance?(.assigned(changed))
            if cooperative {
                if let error = rd_kafka_incremental_assign(handle, partitions) { logAssignError(KafkaError(consuming: error)) }
            } else {
                let assignErr = rd_kafka_assign(handle, partitions)
                if assignErr != RD_KAFKA_RESP_ERR_NO_ERROR { logAssignError(KafkaError(assignErr)) }
            }
            assignmentState.withLock { $0.formUnion(changed) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            logger.info("partitions revoked", metadata: ["kafka.partitions": "\(changed)"])
            if configuration.commitOnRevoke {
                let commitErr = rd_kafka_commit(handle, nil, 0)
                if commitErr != RD_KAFKA_RESP_ERR_NO_ERROR && commitErr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("commit on revoke failed", metadata: ["kafka.error": "\(KafkaError(commitErr))"])
                }
            }
            configuration.onRebalance?(.revoked(changed))
            if cooperative {
                if let error = rd_kafka_incremental_unassign(handle, partitions) { logAssignError(KafkaError(consuming: error)) }
            } else {
                _ = rd_kafka_assign(handle, nil)
            }
            assignmentState.withLock { $0.subtract(changed) }
        default:
            logger.error("rebalance error", metadata: ["kafka.error": "\(KafkaError(err))"])
            _ = rd_kafka_assign(handle, nil)
            assignmentState.withLock { $0.removeAll() }
        }
    }

    private func logAssignError(_ error: KafkaError) {
        logger.error("assignment failed", metadata: ["kafka.error": "\(error)"])
    }

    // MARK: Lifecycle

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Commits stored offsets (via the revoke), leaves the group and frees the handle. Idempotent.
    public func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let client = self.client
        let queue = consumerQueue
        // On the poll queue: after any poll in progress, and where rebalance callbacks are served.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pollQueue.async { [logger] in
                let err = rd_kafka_consumer_close(client.handle)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.warning("consumer close", metadata: ["kafka.error": "\(KafkaError(err))"])
                }
                rd_kafka_queue_destroy(queue.pointer)
                continuation.resume()
            }
        }
        await client.destroy()
    }
}

/// A byte copy with `memcpy` (the generic `Array(UnsafeRawBufferPointer)` initializer costs ~0.5 µs per
/// message here, more than librdkafka's own work).
@inline(__always)
func copyBytes(_ source: UnsafeRawPointer, count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        if count > 0 { buffer.baseAddress!.initialize(from: source.assumingMemoryBound(to: UInt8.self), count: count) }
        initialized = count
    }
}

/// A librdkafka queue handle owned by its client.
struct RDKafkaQueueHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// A message read from Kafka.
public struct KafkaConsumerMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Milliseconds since the epoch (create or log-append time), when the broker sent one.
    public var timestamp: Int64?

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], timestamp: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}

/// Non-empty batches from ``KafkaConsumer/batches(maxMessages:)``.
public struct KafkaConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = [KafkaConsumerMessage]
    let consumer: KafkaConsumer
    let maxMessages: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        let maxMessages: Int

        public mutating func next() async throws -> [KafkaConsumerMessage]? {
            while !Task.isCancelled {
                do {
                    let batch = try await consumer.poll(maxMessages: maxMessages)
                    if !batch.isEmpty { return batch }
                } catch where error.code == .shutDown {
                    return nil
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer, maxMessages: maxMessages) }
}
