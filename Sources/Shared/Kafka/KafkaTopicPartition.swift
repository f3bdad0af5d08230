/// A topic partition.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A position in a partition: the offset of the next message to read.
public enum KafkaOffset: Sendable, Hashable {
    case beginning
    case end
    /// The consumer group's committed offset (or `auto.offset.reset` without one).
    case stored
    case exact(Int64)
}

/// Low and high watermarks of a partition: the first offset still stored and the offset the next
/// produced message will get.
public struct KafkaWatermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}
