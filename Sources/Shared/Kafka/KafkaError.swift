internal import CRdKafka

/// An error from the Kafka wrapper: a stable code, a short reason, and flags saying what the caller can do.
///
/// The description never contains message payloads or configuration values of secret properties
/// (see ``KafkaConfiguration/isSecret(_:)``).
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable error code: librdkafka's `rd_kafka_resp_err_t` when the error comes from it, or one of the
    /// wrapper's own codes (negative, below librdkafka's range).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public let name: String

        init(rawValue: Int32, name: String) {
            self.rawValue = rawValue
            self.name = name
        }

        init(_ err: rd_kafka_resp_err_t) {
            self.rawValue = err.rawValue
            self.name = String(cString: rd_kafka_err2name(err))
        }

        public var description: String { name }

        /// A configuration property was unknown or had an invalid value.
        public static let invalidConfiguration = Code(rawValue: -10_001, name: "INVALID_CONFIGURATION")
        /// The client has been shut down (or is shutting down) and cannot take the request.
        public static let shutDown = Code(rawValue: -10_002, name: "SHUT_DOWN")
        /// A message could not be delivered before `message.timeout.ms`.
        public static let messageTimedOut = Code(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)
        /// A request timed out locally.
        public static let timedOut = Code(RD_KAFKA_RESP_ERR__TIMED_OUT)
        /// The local producer queue was full (only surfaced when waiting is not possible).
        public static let queueFull = Code(RD_KAFKA_RESP_ERR__QUEUE_FULL)
        /// The topic or partition does not exist.
        public static let unknownTopicOrPartition = Code(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        /// The topic already exists (topic creation).
        public static let topicAlreadyExists = Code(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        /// All brokers are down.
        public static let allBrokersDown = Code(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        /// The broker rejected the request as invalid.
        public static let invalidRequest = Code(RD_KAFKA_RESP_ERR_INVALID_REQUEST)

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    }

    public let code: Code
    /// A short human reason (librdkafka's error string or the wrapper's own).
    public let reason: String
    /// The operation may succeed if retried.
    public let isRetriable: Bool
    /// The client instance is unusable (e.g. an idempotent producer lost its guarantees); recreate it.
    public let isFatal: Bool

    public init(code: Code, reason: String, isRetriable: Bool = false, isFatal: Bool = false) {
        self.code = code
        self.reason = reason
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    public var description: String {
        var text = "Kafka error \(code.name): \(reason)"
        if isFatal { text += " (fatal)" } else if isRetriable { text += " (retriable)" }
        return text
    }
}

extension KafkaError {
    init(_ err: rd_kafka_resp_err_t, reason: String? = nil) {
        self.init(
            code: Code(err),
            reason: reason ?? String(cString: rd_kafka_err2str(err)),
            isRetriable: Self.retriableCodes.contains(err.rawValue)
        )
    }

    /// Takes ownership of a librdkafka error object and destroys it.
    init(consuming error: OpaquePointer) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: Code(rd_kafka_error_code(error)),
            reason: String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0
        )
    }

    static func shutDown(_ what: String) -> KafkaError {
        KafkaError(code: .shutDown, reason: "\(what): the client is shut down")
    }

    private static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
    ].reduce(into: []) { $0.insert($1.rawValue) }
}
