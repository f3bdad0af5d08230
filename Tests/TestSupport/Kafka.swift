public import TickbusKafka

/// Every message of `topic` (all `partitions`), read from the beginning without a group until the topic
/// has been quiet for a second after the first message (or 8 s without any: the first fetch after assign
/// takes a few hundred milliseconds). A topic that keeps growing ends at `deadline`.
public func readAll(_ topic: String, partitions: Int32, deadline limit: Duration = .seconds(20)) async throws -> [KafkaConsumerMessage] {
    let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: testClient()), logger: quietLogger)
    var positions: [KafkaTopicPartition: KafkaOffset] = [:]
    for partition in 0..<partitions { positions[KafkaTopicPartition(topic: topic, partition: partition)] = .beginning }
    try await consumer.assign(positions)
    var messages: [KafkaConsumerMessage] = []
    var quiet = 0
    let firstDeadline = ContinuousClock.now + .seconds(8), deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline, messages.isEmpty ? ContinuousClock.now < firstDeadline : quiet < 4 {
        let batch = try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(250))
        messages += batch
        quiet = batch.isEmpty ? quiet + 1 : 0
    }
    await consumer.close()
    return messages
}
