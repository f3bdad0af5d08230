/// A topic as the brokers' metadata describes it.
public struct KafkaTopicDescription: Sendable, Hashable {
    public var name: String
    /// Partition ids, ascending.
    public var partitions: [Int32]
    /// Set when the brokers reported an error for this topic (e.g. unknown topic).
    public var errorCode: KafkaError.Code?
}

/// A topic to create.
public struct KafkaTopicSpecification: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    /// Default: 1 (single-broker development); production overlays set 3.
    public var replicationFactor: Int32
    /// Topic configs, e.g. `["cleanup.policy": "compact"]`. Default: none.
    public var configs: [String: String]

    public init(name: String, partitions: Int32, replicationFactor: Int32 = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}
