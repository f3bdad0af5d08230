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
        try await blocking { handle throws(KafkaError) in
            var low: Int64 = 0, high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(
                handle, topicPartition.topic, topicPartition.partition, &low, &high, timeout.timeoutMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, reason: "watermarks of \(topicPartition): \(String(cString: rd_kafka_err2str(err)))") }
            return KafkaWatermarks(low: low, high: high)
        }
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
