internal import CRdKafka
import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer with back-pressure.
///
/// `send` copies the message into librdkafka's bounded queue; when the queue is full it suspends until
/// delivery reports free room, never dropping. Delivery reports are served on a dedicated thread and,
/// if requested, surfaced as ``KafkaDeliveryReports``. As a `Service`, `run()` returns after graceful
/// shutdown has flushed the queue (bounded by ``KafkaProducerConfiguration/shutdownFlushTimeout``).
public final class KafkaProducer: Service, Sendable {
    private let client: RDKafkaClient
    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    private let state = Mutex(KafkaProducerStateMachine())
    private let topicHandles = Mutex<RDKafkaTopicCache>(RDKafkaTopicCache())
    private let nextMessageID = Atomic<UInt64>(0)
    private let reports: BoundedHandoff<KafkaDeliveryReport>?
    private let pollLoop: RDKafkaPollThread
    private let metrics: ProducerMetrics

    /// A producer without a delivery-report sequence (failures are logged and counted).
    public convenience init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        try self.init(configuration: configuration, logger: logger, reports: nil)
    }

    /// A producer and the sequence of its delivery reports, which the caller must keep consuming.
    public static func makeProducerWithDeliveryReports(
        configuration: KafkaProducerConfiguration, logger: Logger
    ) throws(KafkaError) -> (KafkaProducer, KafkaDeliveryReports) {
        let buffer = BoundedHandoff<KafkaDeliveryReport>(capacity: configuration.deliveryReportCapacity)
        let producer = try KafkaProducer(configuration: configuration, logger: logger, reports: buffer)
        return (producer, KafkaDeliveryReports(buffer: buffer))
    }

    private init(
        configuration: KafkaProducerConfiguration, logger: Logger, reports: BoundedHandoff<KafkaDeliveryReport>?
    ) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger, configuration: configuration.client, role: "producer")
        self.client = try RDKafkaClient(kind: .producer, properties: configuration.rdkafkaProperties(), context: context) {
            rd_kafka_conf_set_dr_msg_cb($0, RDKafkaCallbacks.delivery)
        }
        self.configuration = configuration
        self.logger = context.logger
        self.reports = reports
        self.metrics = ProducerMetrics(clientID: configuration.client.clientID)
        self.pollLoop = RDKafkaPollThread(name: "tickbus.kafka.\(configuration.client.clientID).poll")

        let batch = DeliveryBatch()
        context.onDelivery = { [unowned self] message in self.handleDelivery(message, batch: batch) }
        context.onFatal = { [unowned self] error in
            for waiter in self.state.withLock({ $0.fail(error) }) { waiter.resume(throwing: error) }
        }
        pollLoop.start { [weak self] in
            guard let self else { return false }
            let handle = self.client.handle
            let served = rd_kafka_poll(handle, 100)
            self.metrics.queueDepth.record(Int64(rd_kafka_outq_len(handle)))
            if served > 0 { self.afterDeliveries(batch) }
            return true
        }
    }

    deinit {
        if case .running = state.withLock({ $0.phase }) {
            logger.error("KafkaProducer released without shutdown(); its librdkafka handle is leaked")
        }
    }

    // MARK: Sending

    /// Enqueues a message, waiting while the local queue is full.
    ///
    /// - Throws: ``KafkaError`` when the message is rejected (unknown partition, oversized) or the producer
    ///   is shut down or failed; `CancellationError` when the task is cancelled while waiting for room.
    @discardableResult
    public func send(_ message: KafkaProducerMessage) async throws -> KafkaMessageID {
        let id = nextMessageID.add(1, ordering: .relaxed).newValue
        try await enqueue(message, topic: try topicHandle(message.topic), id: id)
        metrics.sent.increment()
        return KafkaMessageID(rawValue: id)
    }

    /// Enqueues messages in order, waiting while the local queue is full; one topic lookup per run of
    /// same-topic messages. Returns the id of the last one.
    ///
    /// - Throws: like ``send(_:)``; messages before the failing one are enqueued.
    @discardableResult
    public func send(contentsOf messages: some Collection<KafkaProducerMessage>) async throws -> KafkaMessageID? {
        var lastID: KafkaMessageID?
        var topic: (name: String, handle: RDKafkaTopicHandle)?
        var enqueued = 0
        defer { if enqueued > 0 { metrics.sent.increment(by: enqueued) } }
        for message in messages {
            let id = nextMessageID.add(1, ordering: .relaxed).newValue
            if topic?.name != message.topic { topic = (message.topic, try topicHandle(message.topic)) }
            try await enqueue(message, topic: topic!.handle, id: id)
            enqueued += 1
            lastID = KafkaMessageID(rawValue: id)
        }
        return lastID
    }

    /// Produces one message, suspending while librdkafka's queue is full (never dropping).
    private func enqueue(_ message: KafkaProducerMessage, topic: RDKafkaTopicHandle, id: UInt64) async throws {
        while true {
            let generation: UInt64
            switch state.withLock({ $0.beginSend() }) {
            case .fail(let error): throw error
            case .produce(let current): generation = current
            }
            let err = produce(message, topic: topic, id: id)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(err, reason: "produce to \(message.topic): \(String(cString: rd_kafka_err2str(err)))")
            }
            metrics.queueFullWaits.increment()
            try await waitForSpace(after: generation)
        }
    }

    /// Enqueues a message and waits for its delivery report.
    public func sendAndWait(_ message: KafkaProducerMessage) async throws -> KafkaDeliveryReport {
        // Register before producing so a fast report cannot be missed.
        let id = nextMessageID.add(1, ordering: .relaxed).newValue
        let topic = try topicHandle(message.topic)
        while true {
            let generation: UInt64
            switch state.withLock({ $0.beginSend() }) {
            case .fail(let error): throw error
            case .produce(let current): generation = current
            }
            var enqueueError: KafkaError?
            let report: KafkaDeliveryReport = await withCheckedContinuation { continuation in
                state.withLock { $0.awaitDelivery(of: id, continuation: continuation) }
                let err = produce(message, topic: topic, id: id)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let waiter = state.withLock { $0.delivered(id: id) }
                    enqueueError = err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? nil : KafkaError(err)
                    waiter?.resume(returning: KafkaDeliveryReport(
                        id: KafkaMessageID(rawValue: id), topic: message.topic, partition: -1, key: message.key,
                        result: .failure(KafkaError(err))))
                } else {
                    metrics.sent.increment()
                }
            }
            if let enqueueError { throw enqueueError }
            if report.error?.code != .queueFull { return report }
            metrics.queueFullWaits.increment()
            try await waitForSpace(after: generation)
        }
    }

    private func produce(_ message: KafkaProducerMessage, topic: RDKafkaTopicHandle, id: UInt64) -> rd_kafka_resp_err_t {
        let emptyKey: [UInt8] = []
        return message.value.withUnsafeBytes { value in
            (message.key ?? emptyKey).withUnsafeBytes { key in
                withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { fields in
                    var count = 0
                    func add(_ type: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                        var field = rd_kafka_vu_t()
                        field.vtype = type
                        fill(&field)
                        fields.initializeElement(at: count, to: field)
                        count += 1
                    }
                    add(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topic.pointer }
                    add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = message.partition ?? RDKafkaConstants.partitionUnassigned }
                    add(RD_KAFKA_VTYPE_VALUE) {
                        $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        $0.u.mem.size = value.count
                    }
                    if message.key != nil {
                        add(RD_KAFKA_VTYPE_KEY) {
                            $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                            $0.u.mem.size = key.count
                        }
                    }
                    add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = UnsafeMutableRawPointer(bitPattern: UInt(id)) }
                    add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RDKafkaConstants.messageFlagCopy }
                    if let timestamp = message.timestamp {
                        add(RD_KAFKA_VTYPE_TIMESTAMP) { $0.u.i64 = timestamp }
                    }
                    defer { fields.baseAddress!.deinitialize(count: count) }
                    guard let error = rd_kafka_produceva(client.handle, fields.baseAddress, count) else {
                        return RD_KAFKA_RESP_ERR_NO_ERROR
                    }
                    let code = rd_kafka_error_code(error)
                    rd_kafka_error_destroy(error)
                    return code
                }
            }
        }
    }

    private func waitForSpace(after generation: UInt64) async throws {
        let waiterID = state.withLock { $0.makeWaiterID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                switch state.withLock({ $0.waitForSpace(id: waiterID, generation: generation, continuation: continuation) }) {
                case .retry: continuation.resume()
                case .fail(let error): continuation.resume(throwing: error)
                case .suspended: break
                }
            }
        } onCancel: {
            state.withLock { $0.cancelSpaceWaiter(id: waiterID) }?.resume(throwing: CancellationError())
        }
    }

    private func topicHandle(_ name: String) throws(KafkaError) -> RDKafkaTopicHandle {
        try topicHandles.withLock { cache throws(KafkaError) in
            // Most producers write one topic at a time: compare with the last one before hashing.
            if let last = cache.last, last.name == name { return last.handle }
            let handle: RDKafkaTopicHandle
            if let cached = cache.handles[name] {
                handle = cached
            } else {
                guard let pointer = rd_kafka_topic_new(client.handle, name, nil) else {
                    throw KafkaError(rd_kafka_last_error(), reason: "cannot use topic '\(name)'")
                }
                handle = RDKafkaTopicHandle(pointer: pointer)
                cache.handles[name] = handle
            }
            cache.last = (name, handle)
            return handle
        }
    }

    // MARK: Delivery reports (poll thread, or the flushing thread during shutdown)

    private func handleDelivery(_ message: UnsafePointer<rd_kafka_message_t>, batch: DeliveryBatch) {
        let err = message.pointee.err
        let id = UInt64(UInt(bitPattern: message.pointee._private))
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            batch.delivered += 1
        } else {
            batch.failed += 1
            if batch.firstFailure == nil { batch.firstFailure = KafkaError(err) }
        }
        let needsReport = reports != nil || state.withLock { $0.hasDeliveryWaiters }
        guard needsReport else { return }
        let report = KafkaDeliveryReport(
            id: KafkaMessageID(rawValue: id),
            topic: String(cString: rd_kafka_topic_name(message.pointee.rkt)),
            partition: message.pointee.partition,
            key: message.pointee.key.map { copyBytes($0, count: message.pointee.key_len) },
            result: err == RD_KAFKA_RESP_ERR_NO_ERROR ? .success(message.pointee.offset) : .failure(KafkaError(err))
        )
        if let waiter = state.withLock({ $0.delivered(id: id) }) {
            waiter.resume(returning: report)
        } else {
            reports?.put(report, mayBlock: pollLoop.isRunning)
        }
    }

    private func afterDeliveries(_ batch: DeliveryBatch) {
        for waiter in state.withLock({ $0.spaceFreed() }) { waiter.resume() }
        if batch.delivered > 0 { metrics.delivered.increment(by: batch.delivered) }
        if batch.failed > 0 {
            metrics.failed.increment(by: batch.failed)
            logger.warning("messages not delivered", metadata: [
                "kafka.failed": "\(batch.failed)", "kafka.error": "\(batch.firstFailure.map { "\($0)" } ?? "")",
            ])
        }
        batch.reset()
    }

    // MARK: Lifecycle

    /// Waits until librdkafka's queue is empty or `timeout` passes; returns how many messages remain.
    @discardableResult
    public func flush(timeout: Duration) async throws -> Int {
        try await client.blocking { handle throws(KafkaError) in
            _ = rd_kafka_flush(handle, timeout.timeoutMilliseconds)
            return Int(rd_kafka_outq_len(handle))
        }
    }

    /// Messages not yet delivered or failed (librdkafka's `outq_len`).
    public var pendingMessages: Int { Int(rd_kafka_outq_len(client.handle)) }

    public func run() async throws {
        // Delivery reports are served by the poll thread from creation; the service only owns shutdown.
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops taking messages, flushes within the configured bound, fails what remains and frees the
    /// handle. Idempotent.
    public func shutdown() async {
        guard case .flushAndDestroy(let waiters) = state.withLock({ $0.beginShutdown() }) else { return }
        for waiter in waiters { waiter.resume(throwing: KafkaError.shutDown("send")) }
        await pollLoop.stop()
        let timeout = configuration.shutdownFlushTimeout
        let remaining = (try? await client.blocking { handle throws(KafkaError) in
            _ = rd_kafka_flush(handle, timeout.timeoutMilliseconds)
            return Int(rd_kafka_outq_len(handle))
        }) ?? -1
        if remaining > 0 {
            logger.error("messages still undelivered after the shutdown flush", metadata: ["kafka.pending": "\(remaining)"])
        }
        for (id, waiter) in state.withLock({ $0.finishShutdown() }) {
            waiter.resume(returning: KafkaDeliveryReport(
                id: KafkaMessageID(rawValue: id), topic: "", partition: -1, key: nil,
                result: .failure(.shutDown("delivery"))))
        }
        let handles = topicHandles.withLock { cache in
            defer { cache = RDKafkaTopicCache() }
            return Array(cache.handles.values)
        }
        for topic in handles { rd_kafka_topic_destroy(topic.pointer) }
        reports?.finish()
        if let dropped = reports?.droppedCount, dropped > 0 {
            logger.warning("delivery reports dropped: nobody was reading them", metadata: ["kafka.dropped": "\(dropped)"])
        }
        await client.destroy()
    }
}

/// Topic handles by name, plus the last one used.
struct RDKafkaTopicCache {
    var handles: [String: RDKafkaTopicHandle] = [:]
    var last: (name: String, handle: RDKafkaTopicHandle)?
}

/// A cached `rd_kafka_topic_t`, valid until the producer shuts down.
struct RDKafkaTopicHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Counts of one poll round, touched only by the thread serving delivery reports.
private final class DeliveryBatch: @unchecked Sendable {
    var delivered = 0
    var failed = 0
    var firstFailure: KafkaError?

    func reset() {
        delivered = 0
        failed = 0
        firstFailure = nil
    }
}

private struct ProducerMetrics: Sendable {
    let sent: Counter
    let delivered: Counter
    let failed: Counter
    let queueFullWaits: Counter
    let queueDepth: Gauge

    init(clientID: String) {
        let dimensions = [("client_id", clientID)]
        sent = Counter(label: "kafka_producer_messages_sent_total", dimensions: dimensions)
        delivered = Counter(label: "kafka_producer_messages_delivered_total", dimensions: dimensions)
        failed = Counter(label: "kafka_producer_messages_failed_total", dimensions: dimensions)
        queueFullWaits = Counter(label: "kafka_producer_queue_full_waits_total", dimensions: dimensions)
        queueDepth = Gauge(label: "kafka_producer_queue_messages", dimensions: dimensions)
    }
}
