import Logging
import Synchronization
import Testing
@testable import TickbusKafka

/// Fault injection through librdkafka's mock cluster: broker errors are retried or surfaced as typed
/// errors, a full queue makes `send` wait, an unreachable broker yields failure reports.
@Suite("Kafka against librdkafka's mock cluster", .serialized)
struct KafkaMockClusterTests {
    func producerConfiguration(_ cluster: KafkaMockCluster) -> KafkaProducerConfiguration {
        var configuration = KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: [cluster.bootstrapServers]))
        configuration.linger = .milliseconds(1)
        configuration.messageTimeout = .seconds(20)
        configuration.shutdownFlushTimeout = .seconds(2)
        return configuration
    }

    @Test func deliversInOrderWithOffsets() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("orders", partitions: 1)
        let (producer, reports) = try KafkaProducer.makeProducerWithDeliveryReports(
            configuration: producerConfiguration(cluster), logger: .quiet)
        for index in 0..<50 {
            try await producer.send(KafkaProducerMessage(topic: "orders", key: "k", value: "m\(index)"))
        }
        let delivered = await collect(reports, count: 50, timeout: .seconds(20))
        await producer.shutdown()
        #expect(delivered.count == 50)
        #expect(delivered.map(\.offset) == (0..<50).map { Int64($0) })
        #expect(delivered.map(\.id) == delivered.map(\.id).sorted())
        #expect(delivered.allSatisfy { $0.topic == "orders" && $0.partition == 0 && $0.key == Array("k".utf8) })
    }

    @Test func batchSendKeepsOrderAcrossTopicsAndWaitsWhenFull() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("a", partitions: 1)
        try cluster.createTopic("b", partitions: 1)
        var configuration = producerConfiguration(cluster)
        configuration.queueMaxMessages = 50  // smaller than the batch: send(contentsOf:) must wait, not fail
        let (producer, reports) = try KafkaProducer.makeProducerWithDeliveryReports(configuration: configuration, logger: .quiet)
        let messages = (0..<300).map { KafkaProducerMessage(topic: $0 % 3 == 0 ? "b" : "a", key: nil, value: "m\($0)") }
        let lastID = try await producer.send(contentsOf: messages)
        let delivered = await collect(reports, count: 300, timeout: .seconds(20))
        await producer.shutdown()
        #expect(delivered.count == 300)
        #expect(delivered.allSatisfy { $0.error == nil })
        #expect(lastID == delivered.map(\.id).max())
        #expect(delivered.filter { $0.topic == "a" }.compactMap(\.offset) == (0..<200).map { Int64($0) })
        #expect(delivered.filter { $0.topic == "b" }.compactMap(\.offset) == (0..<100).map { Int64($0) })
    }

    @Test func retriableBrokerErrorsAreRetried() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("retry", partitions: 1)
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: .quiet)
        // Warm up (metadata, producer id) so the injected errors hit the Produce request.
        _ = try await producer.sendAndWait(KafkaProducerMessage(topic: "retry", key: nil, value: "warm-up"))
        cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .requestTimedOut, .notLeaderForPartition])
        let report = try await producer.sendAndWait(KafkaProducerMessage(topic: "retry", key: nil, value: "after errors"))
        await producer.shutdown()
        #expect(report.error == nil)
        #expect(report.offset == 1)
    }

    @Test func permanentBrokerErrorsSurfaceAsTypedErrors() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("denied", partitions: 1)
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: .quiet)
        _ = try await producer.sendAndWait(KafkaProducerMessage(topic: "denied", key: nil, value: "warm-up"))
        cluster.pushRequestErrors(.produce, [.messageTooLarge])
        let report = try await producer.sendAndWait(KafkaProducerMessage(topic: "denied", key: nil, value: "rejected"))
        await producer.shutdown()
        #expect(report.error?.code == .messageTooLarge)
        #expect(report.error?.isRetriable == false)
    }

    @Test func unreachableBrokerYieldsFailureReportsAfterMessageTimeout() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("lost", partitions: 1)
        var configuration = producerConfiguration(cluster)
        configuration.messageTimeout = .seconds(1)
        let (producer, reports) = try KafkaProducer.makeProducerWithDeliveryReports(configuration: configuration, logger: .quiet)
        cluster.setBrokerDown()
        let start = ContinuousClock.now
        for index in 0..<5 {
            try await producer.send(KafkaProducerMessage(topic: "lost", key: nil, value: "m\(index)"))
        }
        let failed = await collect(reports, count: 5, timeout: .seconds(15))
        let elapsed = ContinuousClock.now - start
        await producer.shutdown()
        #expect(failed.count == 5)
        #expect(failed.allSatisfy { $0.error?.code == .messageTimedOut })
        #expect(elapsed >= .milliseconds(900), "failures come after message.timeout.ms, not before")
    }

    @Test func fullQueueMakesSendWaitAndLosesNothing() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("slow", partitions: 1)
        var configuration = producerConfiguration(cluster)
        configuration.queueMaxMessages = 10
        let (producer, reports) = try KafkaProducer.makeProducerWithDeliveryReports(configuration: configuration, logger: .quiet)
        cluster.setBrokerDown()
        for index in 0..<10 {
            try await producer.send(KafkaProducerMessage(topic: "slow", key: nil, value: "m\(index)"))
        }
        let eleventhSent = Flag()
        let eleventh = Task {
            try await producer.send(KafkaProducerMessage(topic: "slow", key: nil, value: "m10"))
            eleventhSent.set()
        }
        try await Task.sleep(for: .milliseconds(500))
        #expect(!eleventhSent.isSet, "send must wait while the queue is full")
        cluster.setBrokerUp()
        try await eleventh.value
        #expect(eleventhSent.isSet)
        let delivered = await collect(reports, count: 11, timeout: .seconds(20))
        await producer.shutdown()
        #expect(delivered.count == 11)
        #expect(delivered.allSatisfy { $0.error == nil })
        #expect(Set(delivered.compactMap(\.offset)) == Set((0..<11).map { Int64($0) }))
    }

    @Test func commitErrorsSurfaceAsTypedErrorsAndCommitsResume() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("commits", partitions: 1)
        let producer = try KafkaProducer(configuration: producerConfiguration(cluster), logger: .quiet)
        for index in 0..<20 {
            try await producer.send(KafkaProducerMessage(topic: "commits", key: nil, value: "m\(index)"))
        }
        #expect(try await producer.flush(timeout: .seconds(10)) == 0)
        await producer.shutdown()

        var configuration = KafkaConsumerConfiguration(
            client: KafkaConfiguration(bootstrapServers: [cluster.bootstrapServers]), groupID: "commit-group")
        configuration.client.statisticsInterval = nil
        let consumer = try KafkaConsumer(configuration: configuration, logger: .quiet)
        let partition = KafkaTopicPartition(topic: "commits", partition: 0)
        try await consumer.assign([partition: .beginning])
        var received: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while received.count < 20, ContinuousClock.now < deadline {
            received += try await consumer.poll(timeout: .seconds(1))
        }
        #expect(received.map(\.offset) == (0..<20).map { Int64($0) })
        #expect(received.map { String(decoding: $0.value, as: UTF8.self) } == (0..<20).map { "m\($0)" })

        try consumer.store(received.prefix(10))
        cluster.pushRequestErrors(.offsetCommit, [.groupAuthorizationFailed])
        let error = await #expect(throws: KafkaError.self) { try await consumer.commit() }
        #expect(error?.code == .groupAuthorizationFailed)

        try consumer.store(received)
        try await consumer.commit()
        #expect(try await consumer.committed([partition]) == [partition: 20])
        await consumer.close()
    }
}
