internal import CRdKafka
public import Logging

/// Topic administration and the offsets health needs (a group's committed offsets, watermarks, lag).
///
/// Every call blocks inside librdkafka and therefore runs on the client's control queue.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    /// How long a request may take end to end. Default: 15 s.
    public let timeout: Duration

    public init(configuration: KafkaConfiguration, logger: Logger, timeout: Duration = .seconds(15)) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger, configuration: configuration, role: "admin")
        var properties = configuration.baseProperties()
        properties.merge(configuration.properties) { _, raw in raw }
        self.client = try RDKafkaClient(kind: .producer, properties: properties, context: context)
        self.timeout = timeout
    }

    /// What happened to one topic of a ``createTopics(_:)`` call.
    public enum CreateOutcome: Sendable, Equatable {
        case created
        case alreadyExists
    }

    /// Creates topics; one that already exists is not an error (its settings are left as they are).
    public func createTopics(_ topics: [KafkaTopicSpecification]) async throws(KafkaError) -> [String: CreateOutcome] {
        guard !topics.isEmpty else { return [:] }
        let timeout = self.timeout
        return try await client.blocking { handle throws(KafkaError) in
            var newTopics: [OpaquePointer?] = []
            defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
            for spec in topics {
                var errorText = [CChar](repeating: 0, count: 256)
                guard let topic = rd_kafka_NewTopic_new(spec.name, spec.partitions, spec.replicationFactor, &errorText, errorText.count) else {
                    throw KafkaError(code: .invalidRequest, reason: "topic \(spec.name): \(String(errorBuffer: errorText))")
                }
                newTopics.append(topic)
                for (name, value) in spec.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(topic, name, value)
                    guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, reason: "topic \(spec.name) config \(name)") }
                }
            }
            let event = try RDKafkaClient.adminRequest(handle, timeout: timeout) { options, queue in
                rd_kafka_CreateTopics(handle, &newTopics, newTopics.count, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            guard let result = rd_kafka_event_CreateTopics_result(event),
                  let results = rd_kafka_CreateTopics_result_topics(result, &count) else {
                throw KafkaError(code: .invalidRequest, reason: "create topics: no result")
            }
            var outcomes: [String: CreateOutcome] = [:]
            for index in 0..<count {
                let name = String(cString: rd_kafka_topic_result_name(results[index]))
                let err = rd_kafka_topic_result_error(results[index])
                switch err {
                case RD_KAFKA_RESP_ERR_NO_ERROR: outcomes[name] = .created
                case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcomes[name] = .alreadyExists
                default:
                    let text = rd_kafka_topic_result_error_string(results[index]).map { String(cString: $0) } ?? ""
                    throw KafkaError(err, reason: "create topic \(name): \(text)")
                }
            }
            return outcomes
        }
    }

    /// Every topic in the cluster with its partitions.
    public func listTopics() async throws(KafkaError) -> [KafkaTopicDescription] {
        try await client.metadata(topic: nil, timeout: timeout).sorted { $0.name < $1.name }
    }

    /// One topic's partitions.
    ///
    /// - Throws: ``KafkaError`` with ``KafkaError/Code/unknownTopicOrPartition`` when it does not exist.
    public func describeTopic(_ name: String) async throws(KafkaError) -> KafkaTopicDescription {
        // Metadata for a named topic may auto-create it on some brokers; listing does not.
        guard let topic = try await listTopics().first(where: { $0.name == name }) else {
            throw KafkaError(code: .unknownTopicOrPartition, reason: "topic \(name) does not exist")
        }
        return topic
    }

    /// The configuration entries a topic has (e.g. `cleanup.policy`), as the broker reports them.
    public func topicConfigs(_ name: String) async throws(KafkaError) -> [String: String] {
        let timeout = self.timeout
        return try await client.blocking { handle throws(KafkaError) in
            var resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            let event = try RDKafkaClient.adminRequest(handle, timeout: timeout) { options, queue in
                rd_kafka_DescribeConfigs(handle, &resource, 1, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            guard let result = rd_kafka_event_DescribeConfigs_result(event),
                  let resources = rd_kafka_DescribeConfigs_result_resources(result, &count), count > 0 else {
                throw KafkaError(code: .invalidRequest, reason: "describe configs of \(name): no result")
            }
            let err = rd_kafka_ConfigResource_error(resources[0])
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, reason: "describe configs of \(name)") }
            var entryCount = 0
            guard let entries = rd_kafka_ConfigResource_configs(resources[0], &entryCount) else { return [:] }
            var configs: [String: String] = [:]
            for index in 0..<entryCount {
                let entry = entries[index]
                guard rd_kafka_ConfigEntry_is_sensitive(entry) == 0, let value = rd_kafka_ConfigEntry_value(entry) else { continue }
                configs[String(cString: rd_kafka_ConfigEntry_name(entry))] = String(cString: value)
            }
            return configs
        }
    }

    /// A consumer group's committed offsets for the partitions of these topics (`nil`: nothing committed).
    public func committedOffsets(group: String, topics: [String]) async throws(KafkaError) -> [KafkaTopicPartition: Int64?] {
        var partitions: [KafkaTopicPartition] = []
        let described = try await listTopics()
        for topic in topics {
            guard let description = described.first(where: { $0.name == topic }) else { continue }
            partitions += description.partitions.map { KafkaTopicPartition(topic: topic, partition: $0) }
        }
        guard !partitions.isEmpty else { return [:] }
        let timeout = self.timeout
        return try await client.blocking { [partitions] handle throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, RDKafkaConstants.offsetInvalid) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            var request = rd_kafka_ListConsumerGroupOffsets_new(group, list)
            defer { rd_kafka_ListConsumerGroupOffsets_destroy(request) }
            let event = try RDKafkaClient.adminRequest(handle, timeout: timeout) { options, queue in
                rd_kafka_ListConsumerGroupOffsets(handle, &request, 1, options, queue)
            }
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            guard let result = rd_kafka_event_ListConsumerGroupOffsets_result(event),
                  let groups = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &count), count > 0 else {
                throw KafkaError(code: .invalidRequest, reason: "committed offsets of group \(group): no result")
            }
            if let error = rd_kafka_group_result_error(groups[0]) {
                throw KafkaError(code: KafkaError.Code(rd_kafka_error_code(error)), reason: "committed offsets of group \(group): \(String(cString: rd_kafka_error_string(error)))")
            }
            var offsets: [KafkaTopicPartition: Int64?] = [:]
            if let resultList = rd_kafka_group_result_partitions(groups[0]) {
                for entry in RDKafkaTopicPartitionList.read(resultList) {
                    offsets[entry.topicPartition] = entry.offset >= 0 ? entry.offset : nil
                }
            }
            return offsets
        }
    }

    public func watermarks(_ topicPartition: KafkaTopicPartition) async throws(KafkaError) -> KafkaWatermarks {
        try await client.watermarks(topicPartition, timeout: timeout)
    }

    /// Watermarks of many partitions in one round trip per bound.
    public func watermarks(_ partitions: [KafkaTopicPartition]) async throws(KafkaError) -> [KafkaTopicPartition: KafkaWatermarks] {
        try await client.watermarks(partitions, timeout: timeout)
    }

    /// For every partition of `topics`: the group's committed offset, the high watermark and the lag in
    /// messages (high − committed, or high − low when the group has committed nothing).
    public func consumerLag(group: String, topics: [String]) async throws(KafkaError) -> [KafkaPartitionLag] {
        let committed = try await committedOffsets(group: group, topics: topics)
        let allMarks = try await watermarks(Array(committed.keys))
        var lags: [KafkaPartitionLag] = []
        for (partition, offset) in committed.sorted(by: { $0.key < $1.key }) {
            guard let marks = allMarks[partition] else {
                throw KafkaError(code: .unknownTopicOrPartition, reason: "watermarks of \(partition): not in the answer")
            }
            let lag = max(0, marks.high - (offset ?? marks.low))
            lags.append(KafkaPartitionLag(topicPartition: partition, committed: offset, watermarks: marks, lag: lag))
        }
        return lags
    }

    public func offsetsForTimes(_ partitions: [KafkaTopicPartition], timestamp: Int64) async throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        try await client.offsetsForTimes(partitions, timestamp: timestamp, timeout: timeout)
    }

    public func close() async {
        await client.destroy()
    }
}

/// Lag of a consumer group on one partition.
public struct KafkaPartitionLag: Sendable, Hashable {
    public var topicPartition: KafkaTopicPartition
    public var committed: Int64?
    public var watermarks: KafkaWatermarks
    public var lag: Int64
}
