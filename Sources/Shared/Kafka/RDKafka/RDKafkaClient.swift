internal import CRdKafka
import Dispatch
import Foundation
import Logging
import Synchronization

/// Owner of one `rd_kafka_t` handle and of the context its C callbacks reach through the opaque pointer.
///
/// Blocking librdkafka calls go through ``blocking(_:)``, which runs them on a dispatch queue of this client
/// rather than on Swift's cooperative pool.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer, consumer

        var rdType: rd_kafka_type_t { self == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER }
    }

    // The handle is only used through librdkafka's thread-safe API; `@unchecked Sendable` reflects that.
    let handle: OpaquePointer
    let context: RDKafkaClientContext
    private let controlQueue: DispatchQueue
    private let destroyed = Atomic<Bool>(false)

    /// Creates the handle. `configure` may install role-specific callbacks on the configuration.
    init(
        kind: Kind,
        properties: [String: String],
        context: RDKafkaClientContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        let conf = try RDKafkaConfig.make(properties)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, RDKafkaCallbacks.log)
        rd_kafka_conf_set_error_cb(conf, RDKafkaCallbacks.error)
        rd_kafka_conf_set_stats_cb(conf, RDKafkaCallbacks.statistics)
        configure(conf)

        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(kind.rdType, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = context.scrub(String(errorBuffer: errorText))
            throw KafkaError(code: .invalidConfiguration, reason: reason)
        }
        self.handle = handle
        self.context = context
        self.controlQueue = DispatchQueue(label: "tickbus.kafka.\(context.clientID).control")
        context.logger.debug("created librdkafka \(kind) handle", metadata: ["kafka.config": "\(RDKafkaConfig.redacted(properties))"])
    }

    /// Runs a blocking librdkafka call on this client's control queue and resumes with its result.
    func blocking<Result: Sendable>(
        _ body: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> Result
    ) async throws(KafkaError) -> Result {
        let outcome: Swift.Result<Result, KafkaError> = await withCheckedContinuation { continuation in
            controlQueue.async {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body(self.handle)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try outcome.get()
    }

    /// Destroys the handle (blocking, so off the pool); safe to call more than once.
    func destroy() async {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            controlQueue.async {
                rd_kafka_destroy(self.handle)
                continuation.resume()
            }
        }
    }

    /// Brokers' metadata for every topic (or one), decoded.
    func metadata(topic: String?, timeout: Duration) async throws(KafkaError) -> [KafkaTopicDescription] {
        try await blocking { handle throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata>?
            var topicHandle: OpaquePointer?
            if let topic { topicHandle = rd_kafka_topic_new(handle, topic, nil) }
            defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
            let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, topicHandle, &metadata, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err) }
            defer { rd_kafka_metadata_destroy(metadata) }
            return (0..<Int(metadata.pointee.topic_cnt)).map { index in
                let topic = metadata.pointee.topics[index]
                return KafkaTopicDescription(
                    name: String(cString: topic.topic),
                    partitions: (0..<Int(topic.partition_cnt)).map { topic.partitions[$0].id }.sorted(),
                    errorCode: topic.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(topic.err)
                )
            }
        }
    }

    /// Low and high watermarks of a partition, asked of its leader.
    func watermarks(_ topicPartition: KafkaTopicPartition, timeout: Duration) async throws(KafkaError) -> KafkaWatermarks {
        guard let marks = try await watermarks([topicPartition], timeout: timeout)[topicPartition] else {
            throw KafkaError(code: .unknownTopicOrPartition, reason: "watermarks of \(topicPartition): not in the answer")
        }
        return marks
    }

    /// Low and high watermarks of these partitions: two ListOffsets admin requests (earliest, latest), which
    /// end with an error at `timeout`. `rd_kafka_query_watermark_offsets` was seen to wait forever (in
    /// librdkafka 2.8.0) once the connection to the broker had been cut and restored, and with it every
    /// later call on the client's queue.
    func watermarks(_ partitions: [KafkaTopicPartition], timeout: Duration) async throws(KafkaError) -> [KafkaTopicPartition: KafkaWatermarks] {
        guard !partitions.isEmpty else { return [:] }
        return try await blocking { handle throws(KafkaError) in
            let low = try Self.listOffsets(handle, partitions, spec: RD_KAFKA_OFFSET_SPEC_EARLIEST, timeout: timeout)
            let high = try Self.listOffsets(handle, partitions, spec: RD_KAFKA_OFFSET_SPEC_LATEST, timeout: timeout)
            var result: [KafkaTopicPartition: KafkaWatermarks] = [:]
            for (partition, highOffset) in high {
                result[partition] = KafkaWatermarks(low: low[partition] ?? 0, high: highOffset)
            }
            return result
        }
    }

    private static func listOffsets(
        _ handle: OpaquePointer, _ partitions: [KafkaTopicPartition], spec: rd_kafka_OffsetSpec_t, timeout: Duration
    ) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, Int64(spec.rawValue)) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let event = try adminRequest(handle, timeout: timeout) { options, queue in rd_kafka_ListOffsets(handle, list, options, queue) }
        defer { rd_kafka_event_destroy(event) }
        var count = 0
        guard let result = rd_kafka_event_ListOffsets_result(event),
              let infos = rd_kafka_ListOffsets_result_infos(result, &count) else {
            throw KafkaError(code: .invalidRequest, reason: "list offsets: no result")
        }
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for index in 0..<count {
            guard let info = infos[index], let entry = rd_kafka_ListOffsetsResultInfo_topic_partition(info) else { continue }
            let partition = KafkaTopicPartition(topic: String(cString: entry.pointee.topic), partition: entry.pointee.partition)
            guard entry.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(entry.pointee.err, reason: "watermarks of \(partition): \(String(cString: rd_kafka_err2str(entry.pointee.err)))")
            }
            offsets[partition] = entry.pointee.offset
        }
        return offsets
    }

    /// Sends an admin request with its own reply queue and waits for the result event, at most `timeout`
    /// and a second (the request itself times out at `timeout`). The caller destroys the event.
    static func adminRequest(
        _ handle: OpaquePointer, timeout: Duration,
        _ send: (OpaquePointer?, OpaquePointer?) -> Void
    ) throws(KafkaError) -> OpaquePointer {
        let queue = rd_kafka_queue_new(handle)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_ANY)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errorText = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.timeoutMilliseconds, &errorText, errorText.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.timeoutMilliseconds, &errorText, errorText.count)
        send(options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout.timeoutMilliseconds + 1000) else {
            throw KafkaError(code: .timedOut, reason: "admin request timed out after \(timeout)", isRetriable: true)
        }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            rd_kafka_event_destroy(event)
            throw KafkaError(err, reason: text)
        }
        return event
    }

    /// The earliest offset whose timestamp is at or after `timestamp` (ms) in each partition; the high
    /// watermark when no such message exists.
    func offsetsForTimes(
        _ partitions: [KafkaTopicPartition], timestamp: Int64, timeout: Duration
    ) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await blocking { handle throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, timestamp) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_for_times(handle, list, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
            var result: [KafkaTopicPartition: Int64] = [:]
            for entry in RDKafkaTopicPartitionList.read(list) {
                guard entry.error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(entry.error, reason: "offsets for times of \(entry.topicPartition): \(String(cString: rd_kafka_err2str(entry.error)))")
                }
                result[entry.topicPartition] = entry.offset
            }
            return result
        }
    }
}

/// What the C callbacks of one handle need: its logger, its secrets (to scrub), its metrics, and the
/// role-specific handlers. Reached from C through the configuration's opaque pointer.
final class RDKafkaClientContext: @unchecked Sendable {
    let logger: Logger
    let clientID: String
    let role: String
    let secrets: [String]
    let statistics: KafkaStatisticsRecorder
    /// Set by the producer before the handle exists; called on its poll thread for each delivery report.
    var onDelivery: ((UnsafePointer<rd_kafka_message_t>) -> Void)?
    /// Set by the consumer before the handle exists; called on its poll thread.
    var onRebalance: ((OpaquePointer, rd_kafka_resp_err_t, RDKafkaTopicPartitionList.Pointer) -> Void)?
    /// Set by owners that must react to a fatal error (idempotent producer).
    var onFatal: ((KafkaError) -> Void)?

    init(logger: Logger, configuration: KafkaConfiguration, role: String) {
        var logger = logger
        logger[metadataKey: "kafka.client"] = "\(configuration.clientID)"
        logger[metadataKey: "kafka.role"] = "\(role)"
        self.logger = logger
        self.clientID = configuration.clientID
        self.role = role
        self.secrets = configuration.secretValues
        self.statistics = KafkaStatisticsRecorder(clientID: configuration.clientID, role: role)
    }

    /// Removes any secret value that librdkafka may have echoed into a message.
    func scrub(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "[REDACTED]")
        }
        return text
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> RDKafkaClientContext? {
        opaque.map { Unmanaged<RDKafkaClientContext>.fromOpaque($0).takeUnretainedValue() }
    }
}
