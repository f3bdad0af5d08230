import Foundation
import Logging
import Testing
import TickbusKafka
import TickbusMarket
@testable import Producers

/// `producer replay` into the local broker (started by `make test`): what lands in `ticks.<source>` equals
/// what the frames held, in order per instrument, with gap-free sequence numbers; bad frames land in the
/// dead-letter topic with their raw bytes.
@Suite("Replay into the local broker", .serialized)
struct ReplayIntegrationTests {
    let brokers = ProcessInfo.processInfo.environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092"

    @Test func replayedTicksEqualTheFramesAndBadFramesAreDeadLettered() async throws {
        var logger = Logger(label: "replay-test")
        logger.logLevel = .error
        let topics = TopicNames(prefix: "replay-\(UUID().uuidString.prefix(8).lowercased()).")
        var client = KafkaConfiguration(bootstrapServers: [brokers])
        client.statisticsInterval = nil

        // 2 000 frames: book tickers and trades with known prices, every 100th frame broken.
        var lines: [String] = []
        var expectedPrices: [String] = []
        var badLines: [String] = []
        for index in 0..<2000 {
            if index % 100 == 99 {
                let bad = index % 200 == 199 ? #"{"u":\#(index),"s":"BTCUSDT","b":"oops"}"# : "b64:@@@\(index)"
                badLines.append(bad)
                lines.append(bad)
            } else if index % 2 == 0 {
                let bid = "65\(String(format: "%03d", index % 1000)).10"
                lines.append(#"{"u":\#(index),"s":"BTCUSDT","b":"\#(bid)","B":"1.5","a":"65999.90","A":"2"}"#)
                expectedPrices.append(bid)
            } else {
                let price = "64\(String(format: "%03d", index % 1000)).5"
                lines.append(#"{"e":"trade","E":1,"s":"BTCUSDT","t":\#(index),"p":"\#(price)","q":"1","T":\#(1_700_000_000_000 + index),"m":false,"M":true}"#)
                expectedPrices.append(price)
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).txt")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let admin = try KafkaAdmin(configuration: client, logger: logger)
        try await TickPublisher.ensureTopics(admin: admin, source: .binance, topics: topics, tickPartitions: 3)
        #expect(try await admin.describeTopic(topics.ticks(.binance)).partitions == [0, 1, 2])
        await admin.close()

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        var publisher = TickPublisher(producer: producer, source: .binance, producerID: "replay-test", topics: topics)
        publisher.connected()
        let descriptor = open(file.path, O_RDONLY)
        let summary = try await FrameReplayer(adapter: BinanceAdapter(instruments: [try Instrument("BTC-USDT")]))
            .replay(fileDescriptor: descriptor, publisher: &publisher, producer: producer)
        close(descriptor)
        await producer.shutdown()
        #expect(summary.frames == 2000)
        #expect(summary.ticks == 1980)
        #expect(summary.deadLetters == 20)

        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client), logger: logger)
        var positions: [KafkaTopicPartition: KafkaOffset] = [:]
        for partition in Int32(0)..<3 { positions[KafkaTopicPartition(topic: topics.ticks(.binance), partition: partition)] = .beginning }
        positions[KafkaTopicPartition(topic: topics.producerDeadLetters, partition: 0)] = .beginning
        positions[KafkaTopicPartition(topic: topics.producerDeadLetters, partition: 1)] = .beginning
        positions[KafkaTopicPartition(topic: topics.producerDeadLetters, partition: 2)] = .beginning
        try await consumer.assign(positions)
        var messages: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while messages.count < 2000, ContinuousClock.now < deadline {
            messages += try await consumer.poll(maxMessages: 5000, timeout: .milliseconds(200))
        }
        await consumer.close()

        let ticks = try messages.filter { $0.topic == topics.ticks(.binance) }.map { try TickCodec.decode($0.value) }
        #expect(ticks.count == 1980)
        #expect(Set(messages.filter { $0.topic == topics.ticks(.binance) }.map(\.partition)).count == 1, "one instrument, one partition")
        #expect(ticks.map(\.sequence) == (1...1980).map { UInt64($0) })
        #expect(ticks.map { ($0.bid ?? $0.last)!.text } == expectedPrices)
        #expect(ticks.allSatisfy { $0.connection == 1 && $0.producer == "replay-test" && $0.instrument.description == "BTC-USDT" })

        let deadLetters = try messages.filter { $0.topic == topics.producerDeadLetters }.map { try JSONDocument(parsing: $0.value).root }
        #expect(deadLetters.count == 20)
        let raw = deadLetters.compactMap { $0["raw_b64"]?.string }.compactMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        #expect(Set(raw) == Set(badLines))
        #expect(deadLetters.allSatisfy { $0["source"]?.string == "binance" && ($0["reason"]?.string?.isEmpty == false) })
    }
}
