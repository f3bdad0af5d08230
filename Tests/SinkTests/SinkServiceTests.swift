import TickbusTestSupport
import Foundation
import Logging
import PostgresNIO
@testable import Sink
import Testing
import TickbusKafka
import TickbusMarket
import TickbusPostgres

/// `sink run` end to end: the real broker in, the real Postgres out.
@Suite("Sink service with the broker and Postgres", .serialized)
struct SinkServiceTests {
    private func configuration(_ topics: TopicNames, _ postgres: PostgresSettings) -> SinkService.Configuration {
        var configuration = SinkService.Configuration()
        configuration.topics = topics
        configuration.postgres = postgres
        configuration.groupID = "sink-test-" + UUID().uuidString.prefix(8)
        configuration.batchDelay = .milliseconds(100)
        configuration.backoff = Backoff.Configuration(initial: .milliseconds(100), cap: .seconds(1))
        configuration.instance = "test"
        return configuration
    }

    private func createTopics(_ topics: TopicNames) async throws {
        let admin = try KafkaAdmin(configuration: testClient(), logger: quietLogger)
        _ = try await admin.createTopics([
            topics.ticks(.binance), topics.ticks(.coinbase), topics.snapshots, topics.windows, topics.spreads,
            topics.status, topics.producerDeadLetters, topics.sinkDeadLetters,
        ].map { KafkaTopicSpecification(name: $0, partitions: 2) })
        await admin.close()
    }

    private func send(_ records: [(String, String)], _ producer: KafkaProducer) async throws {
        _ = try await producer.send(contentsOf: records.map {
            KafkaProducerMessage(topic: $0.0, key: Array("BTC".utf8), value: Array($0.1.utf8))
        })
        _ = try await producer.flush(timeout: .seconds(10))
    }

    @Test func everyTopicLandsInItsTableOnceAndBadRecordsGoToTheDeadLetterTopic() async throws {
        try await withScratchDatabase { settings in
            let topics = uniqueTopics("sink-e2e")
            try await createTopics(topics)
            let service = SinkService(configuration: configuration(topics, settings), client: testClient(), logger: quietLogger)
            let running = Task { try await service.run() }
            defer { running.cancel() }

            let second = secondsAgo(20)
            let start = second / 900_000_000 * 900_000_000
            var records: [(String, String)] = []
            for index in 0..<50 {
                records.append((topics.ticks(index.isMultiple(of: 2) ? .binance : .coinbase),
                                tickJSON(source: index.isMultiple(of: 2) ? "binance" : "coinbase", seq: index, receive: second + Int64(index) * 1000)))
                records.append((topics.snapshots, snapshotJSON(source: "okx", second: second - Int64(index) * 1_000_000, price: 67_000 + Double(index))))
                records.append((topics.spreads, spreadJSON(second: second - Int64(index) * 1_000_000, a: "binance", b: "okx", aPrice: 67_000, bPrice: 67_001)))
            }
            records.append((topics.windows, windowJSON(start: start, open: 1, current: 2, asOf: start + 1_000_000, final: false)))
            records.append((topics.status, #"{"v":1,"source":"okx","producer":"p","conn":1,"event":"connected","detail":"wss://x","ts":\#(second),"last_seq":0}"#))
            records.append((topics.producerDeadLetters, #"{"v":1,"source":"htx","producer":"p","conn":1,"ts_recv":\#(second),"reason":"bad gzip","opcode":"binary","raw_b64":"AAEC"}"#))
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
            // Everything twice (a redelivery), plus a record that is not a tick.
            try await send(records, producer)
            try await send(records + [(topics.ticks(.binance), #"{"v":1,"source":"binance"}"#)], producer)

            let settled = try await eventually(within: .seconds(45)) {
                let letters = try await count("SELECT count(*) FROM dead_letters", settings)
                let ticks = try await count("SELECT count(*) FROM ticks", settings)
                return letters == 3 && ticks == 50
            }
            #expect(settled)
            #expect(try await count("SELECT count(*) FROM ticks", settings) == 50)
            #expect(try await count("SELECT count(DISTINCT seq) FROM ticks", settings) == 50)
            #expect(try await count("SELECT count(*) FROM snapshots_1s", settings) == 50)
            #expect(try await count("SELECT sum(price)::bigint FROM snapshots_1s", settings) == 50 * 67_000 + 49 * 50 / 2)
            #expect(try await count("SELECT count(*) FROM spreads_1s", settings) == 50)
            #expect(try await count("SELECT count(*) FROM windows_15m", settings) == 1)
            #expect(try await count("SELECT count(*) FROM venue_events", settings) == 1)
            let letters = try await rows("SELECT topic, reason FROM dead_letters ORDER BY topic", settings)
            // Dead letters are keyed by their Kafka coordinates: the frame published twice is two records.
            #expect(letters == [
                [topics.producerDeadLetters, "bad gzip"], [topics.producerDeadLetters, "bad gzip"],
                [topics.sinkDeadLetters, "ticks: field 'ts_recv' is missing"],
            ])
            let status = service.currentStatus
            #expect(status.deadLetters == 1)
            #expect(status.failedAttempts == 0)
            await producer.shutdown()
        }
    }

    @Test func aRefusedRecordNearTheBrokersSizeLimitIsDeadLetteredAndTheSinkGoesOn() async throws {
        try await withScratchDatabase { settings in
            let topics = uniqueTopics("sink-big")
            try await createTopics(topics)
            let service = SinkService(configuration: configuration(topics, settings), client: testClient(), logger: quietLogger)
            let running = Task { try await service.run() }
            defer { running.cancel() }
            // 900 000 bytes that are not a tick: whole, its dead letter (base64) would be over 1 MB, which the
            // broker refuses for ever; the sink must keep the start and go on.
            let padding = String(repeating: "x", count: 900_000 - 40)
            let big = #"{"v":1,"source":"binance","pad":"\#(padding)"}"#
            let second = secondsAgo(20)
            let records = [(topics.ticks(.binance), big)]
                + (0..<10).map { (topics.ticks(.binance), tickJSON(source: "binance", seq: $0, receive: second + Int64($0) * 1000)) }
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
            try await send(records, producer)
            let settled = try await eventually(within: .seconds(45)) {
                let ticks = try await count("SELECT count(*) FROM ticks", settings)
                let letters = try await count("SELECT count(*) FROM dead_letters", settings)
                return ticks == 10 && letters == 1
            }
            #expect(settled)
            let letter = try await rows("SELECT topic, octet_length(payload)::text FROM dead_letters", settings)
            #expect(letter == [[topics.sinkDeadLetters, "262144"]])
            let stored = try await readAll(topics.sinkDeadLetters, partitions: 3)
            #expect(stored.count == 1)
            #expect(stored.first.map { String(decoding: $0.value, as: UTF8.self).hasSuffix(#","raw_size":\#(big.utf8.count)}"#) } == true)
            #expect(stored.first.map { $0.value.count < 400_000 } == true)
            await producer.shutdown()
        }
    }

    @Test func aPostgresRestartMidStreamLosesNothing() async throws {
        let postgres = try PrivatePostgres()
        defer { postgres.destroy() }
        let topics = uniqueTopics("sink-restart")
        try await createTopics(topics)
        let service = SinkService(configuration: configuration(topics, postgres.settings), client: testClient(), logger: quietLogger)
        let running = Task { try await service.run() }
        defer { running.cancel() }
        #expect(try await eventually(within: .seconds(20)) { service.currentStatus.migrated })

        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
        let base = secondsAgo(700)
        var sent = 0
        for round in 0..<30 {
            if round == 8 { try postgres.stop() }
            if round == 20 { try postgres.start() }
            var records: [(String, String)] = []
            for _ in 0..<20 {
                records.append((topics.snapshots, snapshotJSON(source: "okx", second: base + Int64(sent) * 1_000_000, price: Double(sent))))
                sent += 1
            }
            try await send(records, producer)
            try await Task.sleep(for: .milliseconds(200))
        }
        let complete = try await eventually(within: .seconds(60)) {
            (try? await count("SELECT count(*) FROM snapshots_1s", postgres.settings)) == sent
        }
        #expect(complete)
        #expect(try await count("SELECT count(DISTINCT second) FROM snapshots_1s", postgres.settings) == sent)
        #expect(try await count("SELECT sum(price)::bigint FROM snapshots_1s", postgres.settings) == sent * (sent - 1) / 2)
        let status = service.currentStatus
        #expect(status.failedAttempts > 0, "the outage was noticed")
        #expect(!status.paused, "consumption resumed")
        await producer.shutdown()
    }
}
