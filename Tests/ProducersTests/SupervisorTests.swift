import TickbusTestSupport
import Foundation
import Logging
import Synchronization
import Testing
import TickbusKafka
import TickbusMarket
import Prometheus
import TickbusTelemetry
import VenueSim
@testable import Producers

@Suite("Backoff")
struct BackoffTests {
    @Test func growsExponentiallyWithJitterUpToTheCap() {
        var backoff = Backoff(configuration: .init(initial: .milliseconds(100), cap: .seconds(1)))
        var generator = SystemRandomNumberGenerator()
        let ceilings: [Duration] = (0..<8).map { _ in
            let ceiling = backoff.ceiling
            let delay = backoff.next(using: &generator)
            #expect(delay >= ceiling / 2 && delay <= ceiling, "jitter stays within [ceiling/2, ceiling]")
            return ceiling
        }
        #expect(ceilings == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                             .seconds(1), .seconds(1), .seconds(1), .seconds(1)])
        backoff.reset()
        #expect(backoff.ceiling == .milliseconds(100))
    }
}

/// The supervisor against `venue-sim` (in process) and the local broker: reconnects after a disconnect and
/// after a stall, resubscribes, publishes status events, backs off when the venue is down or rejects, and
/// delivers exactly what the simulator sent.
@Suite("Connection supervisor against venue-sim", .serialized)
struct SupervisorTests {
    let brokers = ProcessInfo.processInfo.environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092"

    var logger: Logger {
        var logger = Logger(label: "supervisor-test")
        logger.logLevel = .critical
        return logger
    }



    func client() -> KafkaConfiguration {
        var client = KafkaConfiguration(bootstrapServers: [brokers])
        client.statisticsInterval = nil
        return client
    }

    /// Runs `body` with a simulator, a producer and a running supervisor for `source`.
    func withPipeline(
        _ source: SourceID, simulator configure: (inout VenueSimulator.Configuration) -> Void = { _ in },
        endpoint: String? = nil, dataTimeout: Duration = .seconds(2), metrics: PrometheusCollectorRegistry? = nil,
        adapter: (any VenueAdapter)? = nil, logger supervisorLogger: Logger? = nil,
        supervision: (inout ConnectionSupervisor.Configuration) -> Void = { _ in },
        _ body: (VenueSimulator, ConnectionSupervisor, TopicNames) async throws -> Void
    ) async throws {
        var simulatorConfiguration = VenueSimulator.Configuration()
        simulatorConfiguration.rate = 50
        configure(&simulatorConfiguration)
        let simulator = VenueSimulator(configuration: simulatorConfiguration, logger: logger)
        let topics = TopicNames(prefix: "sup-\(UUID().uuidString.prefix(8).lowercased()).")
        let admin = try KafkaAdmin(configuration: client(), logger: logger)
        try await TickPublisher.ensureTopics(admin: admin, source: source, topics: topics, tickPartitions: 2)
        await admin.close()
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client()), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            let port = await simulator.port()
            var configuration = ConnectionSupervisor.Configuration()
            // "polybolt": the simulator's PolyBolt socket, which serves chainlink_twap, chainlink and pyth.
            configuration.endpoint = endpoint == "polybolt" ? simulator.polyboltEndpoint(port: port) : endpoint ?? simulator.endpoint(for: source, port: port)
            configuration.dataTimeout = dataTimeout
            configuration.ackTimeout = .seconds(2)
            configuration.backoff = .init(initial: .milliseconds(100), cap: .seconds(1))
            configuration.topics = topics
            configuration.metricsFactory = metrics.map { PrometheusMetricsFactory(registry: $0) }
            supervision(&configuration)
            let supervisor = ConnectionSupervisor(
                adapter: try adapter ?? Adapters.make(source, instruments: Adapters.defaultInstruments(for: source)),
                configuration: configuration, producer: producer, producerID: "test-\(source)", logger: supervisorLogger ?? logger)
            let running = Task { try await supervisor.run() }
            defer { running.cancel() }
            try await body(simulator, supervisor, topics)
            running.cancel()
            _ = try? await running.value
            group.cancelAll()
        }
        #expect(try await producer.flush(timeout: .seconds(20)) == 0)
        await producer.shutdown()
    }

    /// A topic that keeps growing (status events of a reconnecting supervisor) ends at 10 s.
    func readAll(_ topic: String, partitions: Int32) async throws -> [KafkaConsumerMessage] {
        try await TickbusTestSupport.readAll(topic, partitions: partitions, deadline: .seconds(10))
    }

    func statusEvents(_ topics: TopicNames) async throws -> [(event: String, conn: Int64)] {
        try await readAll(topics.status, partitions: 3).map { message in
            let root = try JSONDocument(parsing: message.value).root
            return (root["event"]?.string ?? "", root["conn"]?.int64 ?? -1)
        }
    }

    func waitUntil(_ timeout: Duration = .seconds(15), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("condition not met within \(timeout)"); return }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func reconnectsAfterDisconnectAndStallAndDeliversExactlyWhatWasSent() async throws {
        try await withPipeline(.binance) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 40 }
            simulator.inject(.disconnect, into: .binance)
            try await waitUntil { supervisor.counts.connections >= 2 && simulator.connections(.binance) >= 2 }
            let ticksAfterReconnect = supervisor.counts.ticks
            try await waitUntil { supervisor.counts.ticks >= ticksAfterReconnect + 40 }
            simulator.inject(.stall, into: .binance)  // open but silent: the watchdog must notice
            try await waitUntil { supervisor.counts.connections >= 3 }
            simulator.inject(.resume, into: .binance)
            let ticksAfterStall = supervisor.counts.ticks
            try await waitUntil { supervisor.counts.ticks >= ticksAfterStall + 40 }
            simulator.inject(.stall, into: .binance)
            try await Task.sleep(for: .milliseconds(500))  // let in-flight frames land

            let sent = simulator.sentPrices(.binance)
            let ticks = try await readAll(topics.ticks(.binance), partitions: 2).map { try TickCodec.decode($0.value) }
            #expect(ticks.count == sent.count, "every frame the simulator sent is a tick in Kafka")
            #expect(ticks.map { ($0.bid ?? $0.last)!.text } == sent, "same prices, same order")
            #expect(ticks.map(\.sequence) == (0..<UInt64(ticks.count)).map { $0 + 1 })
            #expect(Set(ticks.map(\.connection)) == [1, 2, 3])

            // The final stall keeps the venue silent, so the watchdog may reconnect again while we read.
            let events = try await statusEvents(topics)
            let names = events.map(\.event)
            let connections = names.filter { $0 == "connected" }.count
            #expect(connections >= 3)
            #expect(names.filter { $0 == "subscribed" }.count == connections, "resubscribed on every connection")
            #expect(names.filter { $0 == "stale" }.count >= 2)
            #expect(names.filter { $0 == "gap_start" }.count >= 2)
            #expect(names.filter { $0 == "gap_end" }.count == 2, "data resumed twice")
            #expect(Array(events.filter { $0.event == "connected" }.map(\.conn).prefix(3)) == [1, 2, 3])
        }
    }

    @Test(arguments: [SourceID.okx, .coinbase, .chainlink, .bybit, .bitget, .gate, .upbit, .htx, .kucoin, .mexc, .binanceRTDS, .chainlinkTWAP])
    func everySimulatedSourceRoundTripsExactly(_ source: SourceID) async throws {
        try await withPipeline(source) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 30 }
            simulator.inject(.stall, into: source)
            try await Task.sleep(for: .milliseconds(500))
            let sent = simulator.sentPrices(source)
            let ticks = try await readAll(topics.ticks(source), partitions: 2).map { try TickCodec.decode($0.value) }
            // Per instrument in order (Coinbase's two products may share a partition or not).
            for instrument in Set(ticks.map(\.instrument)) {
                let delivered = ticks.filter { $0.instrument == instrument }.map(\.sequence)
                #expect(delivered == delivered.sorted())
            }
            #expect(ticks.count == sent.count)
            #expect(ticks.sorted { $0.sequence < $1.sequence }.map { ($0.bid ?? $0.last)!.text } == sent)
            #expect(supervisor.counts.decodeErrors == 0)
            // An oracle's exact value is its price (venue-sim's E18 integers were 100× too large once).
            for tick in ticks where tick.kind == .oracle {
                let exact = try #require(tick.exact.flatMap(DecimalText.init), "\(source) oracle tick without exact")
                #expect(exact.doubleValue == tick.last?.doubleValue, "\(source): exact \(exact) vs last \(tick.last?.text ?? "-")")
            }
            #expect(ticks.allSatisfy { ($0.kind == .oracle) == source.isOracle && ($0.exact != nil) == source.isOracle })
        }
    }

    @Test func kucoinFetchesAFreshTokenForEveryConnection() async throws {
        try await withPipeline(.kucoin, simulator: { $0.appPingInterval = .milliseconds(200) }) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            simulator.inject(.disconnect, into: .kucoin)
            try await waitUntil { simulator.connections(.kucoin) >= 2 && supervisor.counts.ticks >= 30 }
            // The simulator refuses a token twice, so the second connection proves a new one was fetched.
            #expect(simulator.tokensIssued(.kucoin) == simulator.connections(.kucoin))
            let events = try await readAll(topics.status, partitions: 3).map { String(decoding: $0.value, as: UTF8.self) }
            #expect(events.contains { $0.contains("\"connected\"") && $0.contains("ws://127.0.0.1") && !$0.contains("token") })
            #expect(supervisor.counts.decodeErrors == 0)
        }
    }

    @Test func aRateLimitedTokenRequestWaitsTheRetryAfterTheVenueAsks() async throws {
        // Backoff here is 0.1–1 s: a gap of 2 s after the 429 can only come from its Retry-After.
        try await withPipeline(.kucoin, simulator: { $0.appPingInterval = .milliseconds(200) }) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            let before = simulator.restRequests(.kucoin).count
            simulator.rateLimit(.kucoin, seconds: 2, count: 1)
            simulator.inject(.disconnect, into: .kucoin)
            try await waitUntil { simulator.connections(.kucoin) >= 2 && simulator.restRequests(.kucoin).count >= before + 2 }
            let requests = simulator.restRequests(.kucoin)
            let gap = requests[before + 1] - requests[before]
            #expect(gap >= .milliseconds(1900), "reconnected \(gap) after the 429")
            #expect(gap < .seconds(4))
            let events = try await readAll(topics.status, partitions: 3).map { String(decoding: $0.value, as: UTF8.self) }
            #expect(events.contains { $0.contains("HTTP 429") && $0.contains("asks to wait 2.0 seconds") }, "\(events)")
        }
    }

    @Test func retryAfterIsReadFromSecondsOrADateAndOnlyWhenRateLimited() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetryAfter.wait(status: 429, headers: ["Retry-After": "3"], now: now) == .seconds(3))
        #expect(RetryAfter.wait(status: 418, headers: ["retry-after": "120"], now: now) == .seconds(120))
        #expect(RetryAfter.wait(status: 503, headers: ["Retry-After": "99999"], now: now) == RetryAfter.cap)
        // 1 800 000 000 is Fri, 15 Jan 2027 08:00:00 GMT.
        #expect(RetryAfter.wait(status: 429, headers: ["Retry-After": "Fri, 15 Jan 2027 08:00:10 GMT"], now: now) == .seconds(10))
        #expect(RetryAfter.wait(status: 429, headers: [:], now: now) == nil)
        #expect(RetryAfter.wait(status: 500, headers: ["Retry-After": "3"], now: now) == nil)
        #expect(RetryAfter.wait(status: 429, headers: ["Retry-After": "soon"], now: now) == nil)
        let error = ConnectionPreparationError(status: 429, headers: ["Retry-After": "7"], what: "kucoin: token request", now: now)
        #expect(error.retryAfter == .seconds(7))
        #expect(error.description == "kucoin: token request answered HTTP 429; the venue asks to wait 7.0 seconds")
    }

    @Test func mexcPollsRESTWhileTheWebSocketIsRefusedAndReturnsToIt() async throws {
        try await withPipeline(.mexc, simulator: { $0.rejectSubscriptions = [.mexc] },
                               supervision: { $0.fallbackDuration = .seconds(3) }) { simulator, supervisor, topics in
            try await waitUntil { simulator.restPolls(.mexc) >= 2 }
            simulator.inject(.accept, into: .mexc)
            try await waitUntil { supervisor.counts.ticks >= 40 && simulator.connections(.mexc) >= 4 }
            let events = try await readAll(topics.status, partitions: 3).map { String(decoding: $0.value, as: UTF8.self) }
            let started = events.first { $0.contains("\"fallback_started\"") } ?? ""
            #expect(started.contains("websocket failed 3 times without data; polling http://127.0.0.1:"))
            #expect(events.contains { $0.contains("\"fallback_ended\"") })
            let ticks = try await readAll(topics.ticks(.mexc), partitions: 2).map { try TickCodec.decode($0.value) }
            let polled = ticks.filter { $0.venueTime == nil }, streamed = ticks.filter { $0.venueTime != nil }
            #expect(polled.count >= 2, "polled quotes carry no venue time")
            #expect(!streamed.isEmpty, "the WebSocket is used again once it accepts")
            #expect(supervisor.counts.decodeErrors == 0)
        }
    }

    @Test func htxApplicationPingsAreEchoedSoTheConnectionStays() async throws {
        try await withPipeline(.htx, simulator: { $0.appPingInterval = .milliseconds(200) }) { simulator, supervisor, _ in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            let before = supervisor.counts.ticks
            try await Task.sleep(for: .seconds(2))  // ten pings; two unanswered would close the connection
            #expect(simulator.connections(.htx) == 1)
            #expect(supervisor.counts.ticks > before + 20)
        }
    }

    @Test func serverPingsAreAnsweredSoTheConnectionStays() async throws {
        try await withPipeline(.binance, simulator: { $0.pingInterval = .milliseconds(300) }) { simulator, supervisor, _ in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            try await Task.sleep(for: .seconds(3))  // ten ping periods: an unanswered ping closes the socket
            #expect(simulator.connections(.binance) == 1)
            #expect(supervisor.counts.connections == 1)
            #expect(supervisor.counts.ticks >= 100)
        }
    }

    @Test func rejectedSubscriptionIsAnErrorEventAndBacksOff() async throws {
        try await withPipeline(.okx, simulator: { $0.rejectSubscriptions = [.okx] }) { simulator, supervisor, topics in
            try await Task.sleep(for: .seconds(3))
            let attempts = supervisor.counts.connectAttempts
            #expect(attempts >= 2, "keeps retrying")
            #expect(attempts <= 8, "with backoff, not in a busy loop (100 ms doubling to 1 s over 3 s)")
            #expect(supervisor.counts.ticks == 0)
            let names = try await statusEvents(topics).map(\.event)
            let rejected = names.filter { $0 == "rejected" }.count
            // Every attempt so far was rejected and said so (reading took a while: more attempts since).
            #expect(rejected >= attempts - 1 && rejected <= supervisor.counts.connectAttempts)
            #expect(!names.contains("subscribed"))
        }
    }

    @Test func unreachableVenueIsRetriedWithBackoffNotBusyLooping() async throws {
        try await withPipeline(.coinbase, endpoint: "ws://127.0.0.1:9/coinbase") { _, supervisor, topics in
            try await Task.sleep(for: .seconds(3))
            let attempts = supervisor.counts.connectAttempts
            #expect(attempts >= 3)
            #expect(attempts <= 8)
            let names = try await statusEvents(topics).map(\.event)
            #expect(names.filter { $0 == "disconnected" }.count >= attempts - 1)
            #expect(!names.contains("connected"))
        }
    }

    @Test func malformedFramesGoToTheDeadLetterTopicAndDataContinues() async throws {
        try await withPipeline(.chainlink, dataTimeout: .seconds(5)) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            for _ in 0..<3 { simulator.inject(.malformed, into: .chainlink) }
            try await waitUntil { supervisor.counts.decodeErrors >= 3 }
            let before = supervisor.counts.ticks
            try await waitUntil { supervisor.counts.ticks >= before + 10 }
            simulator.inject(.stall, into: .chainlink)
            try await Task.sleep(for: .milliseconds(500))
            let letters = try await readAll(topics.producerDeadLetters, partitions: 3)
            #expect(letters.count == 3)
            #expect(simulator.malformedSent(.chainlink) == 3)
            let ticks = try await readAll(topics.ticks(.chainlink), partitions: 2)
            #expect(ticks.count == simulator.sentPrices(.chainlink).count)
        }
    }

    @Test func metricsAndProbesAreServedOverHTTP() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withPipeline(.okx, metrics: registry) { simulator, supervisor, _ in
            let probes = ProbeServer(configuration: .init(port: 0), registry: registry, logger: logger)
            let serving = Task { try await probes.run() }
            defer { serving.cancel() }
            let port = await probes.port()
            try await waitUntil { supervisor.counts.ticks >= 20 }
            simulator.inject(.malformed, into: .okx)
            try await waitUntil { supervisor.counts.decodeErrors >= 1 }
            try await Task.sleep(for: .milliseconds(600))  // one gauge refresh
            let metrics = try curl("http://127.0.0.1:\(port)/metrics")
            let ticks = supervisor.counts.ticks
            #expect(metrics.status == 200)
            let line = metrics.body.split(separator: "\n").first { $0.hasPrefix(#"tickbus_producer_ticks_total{source="okx"}"#) }
            let value = line.flatMap { Int($0.split(separator: " ").last ?? "") }
            #expect(value != nil && value! > 0 && value! <= ticks)
            #expect(metrics.body.contains(#"tickbus_producer_decode_errors_total{source="okx"} 1"#))
            #expect(metrics.body.contains(#"tickbus_producer_seconds_since_last_tick{source="okx",instrument="BTC-USDT"}"#))
            #expect(metrics.body.contains("tickbus_producer_queue_depth"))
            #expect(try curl("http://127.0.0.1:\(port)/livez").status == 200)
            #expect(try curl("http://127.0.0.1:\(port)/readyz").status == 200)
            probes.setReady(false)
            #expect(try curl("http://127.0.0.1:\(port)/readyz").status == 503)
        }
    }
}
