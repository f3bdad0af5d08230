internal import CRdKafka

/// Conversions between Swift values and `rd_kafka_topic_partition_list_t`.
enum RDKafkaTopicPartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    struct Entry {
        var topicPartition: KafkaTopicPartition
        var offset: Int64
        var error: rd_kafka_resp_err_t
    }

    /// A new list the caller must destroy with `rd_kafka_topic_partition_list_destroy`.
    static func make(_ entries: [(KafkaTopicPartition, Int64)]) -> Pointer {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: entries.count))!
        for (topicPartition, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, topicPartition.topic, topicPartition.partition)!
            element.pointee.offset = offset
        }
        return list
    }

    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [Entry] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { index in
            let element = elements[index]
            return Entry(
                topicPartition: KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset,
                error: element.err
            )
        }
    }

    static func offset(_ offset: KafkaOffset) -> Int64 {
        switch offset {
        case .beginning: RDKafkaConstants.offsetBeginning
        case .end: RDKafkaConstants.offsetEnd
        case .stored: RDKafkaConstants.offsetStored
        case .exact(let value): value
        }
    }
}

/// librdkafka's macro constants (defined with casts, so not imported into Swift).
enum RDKafkaConstants {
    static let offsetBeginning: Int64 = -2
    static let offsetEnd: Int64 = -1
    static let offsetStored: Int64 = -1000
    static let offsetInvalid: Int64 = -1001
    static let partitionUnassigned: Int32 = -1
    static let messageFlagCopy: Int32 = 0x2
}
