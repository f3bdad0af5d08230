internal import CRdKafka

/// librdkafka's in-process mock cluster, for fault-injection tests and drills: real Kafka protocol on
/// loopback, with request errors and broker outages on demand.
public final class KafkaMockCluster: @unchecked Sendable {
    /// Kafka protocol request kinds errors can be injected into.
    public enum API: Int16, Sendable {
        case produce = 0, fetch = 1, listOffsets = 2, metadata = 3, offsetCommit = 8, offsetFetch = 9
        case findCoordinator = 10, joinGroup = 11, heartbeat = 12, syncGroup = 14, initProducerID = 22
    }

    // Owned for the cluster's lifetime; librdkafka's mock API is thread-safe.
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// `host:port,…` of the mock brokers.
    public let bootstrapServers: String

    public init(brokers: Int32 = 1) throws(KafkaError) {
        let conf = try RDKafkaConfig.make(["log_level": "3"])
        var errorText = [CChar](repeating: 0, count: 256)
        guard let owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .invalidConfiguration, reason: String(errorBuffer: errorText))
        }
        guard let cluster = rd_kafka_mock_cluster_new(owner, brokers) else {
            rd_kafka_destroy(owner)
            throw KafkaError(code: .invalidConfiguration, reason: "could not start the mock cluster")
        }
        self.owner = owner
        self.cluster = cluster
        self.bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// The next requests of this kind fail with these errors, one each, in order.
    public func pushRequestErrors(_ api: API, _ errors: [KafkaError.Code]) {
        let codes = errors.map { rd_kafka_resp_err_t($0.rawValue) }
        codes.withUnsafeBufferPointer {
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, $0.count, $0.baseAddress)
        }
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32 = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, partitions, replicationFactor)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err) }
    }

    /// Refuses and drops connections to this broker until ``setBrokerUp(_:)``.
    public func setBrokerDown(_ id: Int32 = 1) {
        _ = rd_kafka_mock_broker_set_down(cluster, id)
    }

    public func setBrokerUp(_ id: Int32 = 1) {
        _ = rd_kafka_mock_broker_set_up(cluster, id)
    }

    public func setGroupInitialRebalanceDelay(_ delay: Duration) {
        rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, Int32(delay.milliseconds))
    }
}

extension KafkaError.Code {
    /// A code by librdkafka's numeric value (`rd_kafka_resp_err_t`), e.g. for injecting broker errors.
    public static func broker(_ rawValue: Int32) -> KafkaError.Code {
        KafkaError.Code(rd_kafka_resp_err_t(rawValue))
    }

    public static let notLeaderForPartition = KafkaError.Code(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION)
    public static let topicAuthorizationFailed = KafkaError.Code(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
    public static let groupAuthorizationFailed = KafkaError.Code(RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED)
    public static let messageTooLarge = KafkaError.Code(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
    public static let requestTimedOut = KafkaError.Code(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT)
}
