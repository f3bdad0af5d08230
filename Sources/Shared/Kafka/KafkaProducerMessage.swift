/// A message to produce. Payloads are copied into librdkafka on `send`.
public struct KafkaProducerMessage: Sendable, Hashable {
    public var topic: String
    /// An explicit partition; `nil` lets the configured partitioner hash the key. Default: `nil`.
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Milliseconds since the epoch; `nil` uses the producer's clock. Default: `nil`.
    public var timestamp: Int64?

    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }

    public init(topic: String, partition: Int32? = nil, key: String?, value: String, timestamp: Int64? = nil) {
        self.init(topic: topic, partition: partition, key: key.map { Array($0.utf8) }, value: Array(value.utf8), timestamp: timestamp)
    }
}

/// Identifies a message from `send` to its delivery report; increasing per producer.
public struct KafkaMessageID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64
    public var description: String { String(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The outcome of one message: where it was stored, or why it was not.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var id: KafkaMessageID
    public var topic: String
    public var partition: Int32
    public var key: [UInt8]?
    /// The offset when delivered, or the error after `message.timeout.ms` / a permanent broker error.
    public var result: Result<Int64, KafkaError>

    public var offset: Int64? { try? result.get() }
    public var error: KafkaError? {
        if case .failure(let error) = result { return error }
        return nil
    }
}
