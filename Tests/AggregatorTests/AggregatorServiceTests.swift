@testable import Aggregator
import Foundation
import Testing
import TickbusTestSupport
import TickbusKafka
import TickbusMarket

/// `aggregator run` against the real broker: two instances share the work exactly, and a `kill -9` loses
/// neither seconds nor the open window's `open`.
@Suite("aggregator run through the broker", .serialized)
struct AggregatorServiceTests {
    static let markets: [(SourceID, String, Double)] = [
        (.chainlink, "BTC-USD", 100_000), (.binance, "BTC-USDT", 100_010), (.coinbase, "BTC-USD", 100_000),
        (.coinbase, "USDT-USD", 1.0002), (.okx, "ETH-USDT", 3_000), (.bybit, "ETH-USDT", 3_001),
        (.gate, "SOL-USDT", 150), (.okx, "SOL-USDT", 150.1),
    ]
    static var sources: [SourceID] { Array(Set(markets.map(\.0))).sorted() }

    func waitUntil(_ timeout: Duration, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        return true
    }

    @Test("two instances in one group: every record once, none missing, equal to replay")
    func twoInstancesSplitTheWork() async throws {
        let topics = uniqueTopics("agg2")
        try await createTickTopics(topics, sources: Self.sources, partitions: 4)
        var configuration = AggregatorService.Configuration()
        configuration.topics = topics
        configuration.groupID = "aggregator-\(topics.prefix)"
        configuration.outputPartitions = 2
        let first = AggregatorService(configuration: configuration, client: testClient(), logger: quietLogger)
        let second = AggregatorService(configuration: configuration, client: testClient(), logger: quietLogger)
        let runs = [Task { try await first.run() }, Task { try await second.run() }]
        defer { runs.forEach { $0.cancel() } }
        let total = 4 * Self.sources.count
        let split = try await waitUntil(.seconds(40)) {
            let a = first.currentStatus.assignedPartitions, b = second.currentStatus.assignedPartitions
            return a > 0 && b > 0 && a + b == total
        }
        #expect(split, "the group never split the partitions")
        try await Task.sleep(for: .seconds(1))

        // Range assignment gives partitions 0-1 to one member and 2-3 to the other: BTC and the USDT leg on
        // one side, ETH and SOL on the other (valued in USD through the FX side input).
        let partitionOfBase: [String: Int32] = ["BTC": 0, "USDT": 1, "ETH": 2, "SOL": 3]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
        let ticks = try await publishLiveTicks(producer, topics: topics, markets: Self.markets, for: .seconds(6)) { partitionOfBase[$0]! }
        await producer.shutdown()
        // Chainlink's seconds are final 5 s after they end; the wall clock moves the idle instances there.
        try await Task.sleep(for: .seconds(8))
        let statuses = [first.currentStatus, second.currentStatus]
        runs.forEach { $0.cancel() }
        for run in runs { _ = try? await run.value }

        #expect(statuses.allSatisfy { $0.counters.snapshots > 0 && $0.counters.late == 0 })
        #expect(statuses.map(\.counters.accepted).reduce(0, +) == ticks.count)
        let lastSecond = ticks.map(\.eventTime).max()! / 1_000_000 * 1_000_000
        let expected = replayed(ticks).filter { record in
            switch record {
            case .snapshot(let snapshot): snapshot.second <= lastSecond
            case .spread(let spread): spread.second <= lastSecond
            case .window(let window): window.asOf <= lastSecond + 1_000_000
            }
        }
        var published: [String] = []
        for topic in [topics.snapshots, topics.windows, topics.spreads] {
            for message in try await readAll(topic, partitions: 2) where try recordSecond(message.value) <= lastSecond {
                published.append(String(decoding: message.value, as: UTF8.self))
            }
        }
        let expectedText = expected.map { String(decoding: AggregateRecordCodec.encode($0), as: UTF8.self) }
        #expect(expectedText.count > 100)
        #expect(Set(published).count == published.count, "a record was published twice")
        #expect(published.sorted() == expectedText.sorted())
    }

    @Test("kill -9 and restart: no missing seconds, the open window's open unchanged")
    func killAndRestart() async throws {
        let topics = uniqueTopics("aggkill")
        let markets = Array(Self.markets.prefix(4))
        try await createTickTopics(topics, sources: Array(Set(markets.map(\.0))).sorted(), partitions: 4)
        let group = "aggregator-\(topics.prefix)"
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
        var aggregator = try AggregatorProcess(topics: topics, group: group)
        var ticks = try await publishLiveTicks(producer, topics: topics, markets: markets, for: .seconds(8), every: .milliseconds(100))
        aggregator.kill9()
        ticks += try await publishLiveTicks(producer, topics: topics, markets: markets, for: .seconds(3), every: .milliseconds(100))
        aggregator = try AggregatorProcess(topics: topics, group: group)
        ticks += try await publishLiveTicks(producer, topics: topics, markets: markets, for: .seconds(10), every: .milliseconds(100))
        await producer.shutdown()
        try await Task.sleep(for: .seconds(8))
        aggregator.kill9()

        let lastSecond = ticks.map(\.eventTime).max()! / 1_000_000
        let firstSecond = ticks.map(\.eventTime).min()! / 1_000_000
        let snapshots = try await readAll(topics.snapshots, partitions: 6).map { try JSONDocument(parsing: $0.value).root }
        for (source, instrument, _) in markets {
            let seconds = Set(snapshots.filter { $0["source"]?.string == source.rawValue && $0["instrument"]?.string == instrument }
                .compactMap { $0["second"]?.int64.map { $0 / 1_000_000 } })
            let missing = (firstSecond...lastSecond).filter { !seconds.contains($0) }
            #expect(missing.isEmpty, "\(source) \(instrument) has no snapshot for \(missing.count) seconds")
        }
        let expectedOpens = Dictionary(replayed(ticks).windows.map { ($0.key, $0.open) }, uniquingKeysWith: { first, _ in first })
        let windows = try await readAll(topics.windows, partitions: 6).map { try JSONDocument(parsing: $0.value).root }
        #expect(!windows.isEmpty)
        for window in windows {
            let key = "\(window["source"]?.string ?? "")|\(window["instrument"]?.string ?? "")|\(window["window_start"]?.int64 ?? 0)"
            #expect(window["open"]?.decimal?.doubleValue == expectedOpens[key], "\(key)")
        }
    }
}

/// `aggregator run` as a separate process, so it can be killed with SIGKILL.
struct AggregatorProcess {
    let process = Process()

    init(topics: TopicNames, group: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        process.executableURL = root.appendingPathComponent(".build/debug/aggregator")
        process.arguments = ["run", "--brokers", brokers, "--topic-prefix", topics.prefix, "--group", group, "--metrics-port", "0"]
        process.standardOutput = FileHandle.nullDevice
        // AGGREGATOR_TEST_LOG=/path keeps each process's log in /path.<id> (for debugging this test).
        if let log = ProcessInfo.processInfo.environment["AGGREGATOR_TEST_LOG"].map({ "\($0).\(UUID().uuidString.prefix(4))" }),
           FileManager.default.createFile(atPath: log, contents: nil) {
            process.standardError = FileHandle(forWritingAtPath: log)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
