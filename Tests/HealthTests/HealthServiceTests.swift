import Foundation
@testable import Health
import Logging
import PostgresNIO
import Sink
import Testing
import TickbusKafka
import TickbusMarket
import TickbusPostgres
import TickbusTestSupport

/// The health service against the real broker and Postgres: a healthy pipeline passes, a silent source and a
/// consumer group far behind are caught, an unreachable database fails cleanly, no secret is printed.
@Suite("health with the broker and Postgres", .serialized)
struct HealthServiceTests {
    let executable = repositoryRoot + "/.build/debug/health"
    static let feeds = [
        Feed(source: .binance, instrument: try! Instrument("BTC-USDT")),
        Feed(source: .coinbase, instrument: try! Instrument("BTC-USD")),
        Feed(source: .chainlinkTWAP, instrument: try! Instrument("BTC-USD")),
    ]

    /// A pipeline that looks healthy: 330 s of fresh snapshots for three feeds up to a second ago, a sink
    /// commit just now, the open Chainlink window and a final previous one, both groups caught up on topics
    /// holding 20 records each.
    struct Fixture {
        var configuration: HealthConfiguration
        var arguments: [String]
        var environment: [String: String]
    }

    func withHealthyPipeline(_ body: (Fixture) async throws -> Void) async throws {
        try await withScratchDatabase { postgres in
            var sink = SinkService.Configuration()
            sink.postgres = postgres
            _ = try await SinkService.maintainOnce(configuration: sink, dryRun: false, logger: quietLogger)
            try await execute("""
                INSERT INTO snapshots_1s (second, source, instrument, price, bid, ask, fresh, ticks, open, high, low, close,
                                          age_ms, price_usd, fx, fx_assumed)
                SELECT s, f.source, f.instrument, 67000, 66999.9, 67000.1, true, 3, 67000, 67000, 67000, 67000, 250, 67000, 1, false
                FROM (VALUES ('binance', 'BTC-USDT'), ('coinbase', 'BTC-USD'), ('chainlink_twap', 'BTC-USD')) f(source, instrument),
                     generate_series(date_trunc('second', now()) - interval '330 seconds',
                                     date_trunc('second', now()) - interval '1 second', interval '1 second') s
                """, postgres)
            try await execute("INSERT INTO sink_progress VALUES ('test', now(), 1000)", postgres)
            try await execute("""
                INSERT INTO windows_15m (window_start, source, instrument, open, open_ts, open_delay_ms, current, current_ts,
                                         high, low, ticks, change, change_bps, side, seconds_left, final, complete, max_gap_ms, as_of)
                SELECT w, 'chainlink_twap', 'BTC-USD', 67000, w + interval '0.4 seconds', 400, 67010, now(), 67020, 66990, 100, 10,
                       1.49, 'up', 0, w < b, true, 1500, least(now(), w + interval '900 seconds')
                FROM (SELECT to_timestamp(floor(extract(epoch FROM now()) / 900) * 900) AS b) t,
                     LATERAL (VALUES (t.b - interval '900 seconds'), (t.b)) v(w)
                """, postgres)

            let topics = uniqueTopics("health")
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let groups = (aggregator: "health-aggregator-\(suffix)", sink: "health-sink-\(suffix)")
            let admin = try KafkaAdmin(configuration: testClient(), logger: quietLogger)
            _ = try await admin.createTopics([topics.ticks(.binance), topics.snapshots].map { KafkaTopicSpecification(name: $0, partitions: 2) })
            try await send(20, to: topics.ticks(.binance), at: WallClock.microseconds() / 1000)
            try await send(20, to: topics.snapshots, at: WallClock.microseconds() / 1000)
            let ticks = try await admin.consumerLag(group: groups.aggregator, topics: [topics.ticks(.binance)])
            let snapshots = try await admin.consumerLag(group: groups.sink, topics: [topics.snapshots])
            await admin.close()
            try await commit(group: groups.aggregator, at: ticks)
            try await commit(group: groups.sink, at: ticks + snapshots)

            var configuration = HealthConfiguration()
            configuration.postgres = postgres
            configuration.topics = topics
            configuration.feeds = Self.feeds
            configuration.groups = [ConsumerGroup(role: .aggregator, groupID: groups.aggregator), ConsumerGroup(role: .sink, groupID: groups.sink)]
            let arguments = [
                "--pg-host", postgres.host, "--pg-port", String(postgres.port), "--pg-user", postgres.user,
                "--pg-database", postgres.database, "--pg-sslmode", "disable", "--brokers", brokers, "--topic-prefix", topics.prefix,
                "--source", "binance", "--source", "coinbase:BTC-USD", "--source", "chainlink_twap",
                "--aggregator-group", groups.aggregator, "--sink-group", groups.sink,
            ]
            try await body(Fixture(configuration: configuration, arguments: arguments,
                                   environment: ["TICKBUS_PG_PASSWORD": postgres.password ?? "", "TICKBUS_LOG_LEVEL": "info"]))
        }
    }

    func execute(_ sql: String, _ settings: PostgresSettings) async throws {
        let connection = try await settings.connect(logger: quietLogger)
        try await connection.execute(PostgresQuery(unsafeSQL: sql), logger: quietLogger, doing: "fixture")
        try await connection.close()
    }

    /// One record per produce request, so the broker's high watermark counts every record exactly.
    func send(_ count: Int, to topic: String, at timestampMillis: Int64) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
        for index in 0..<count {
            _ = try await producer.sendAndWait(KafkaProducerMessage(
                topic: topic, partition: Int32(index % 2), key: Array("BTC".utf8), value: Array("{\"v\":1}".utf8),
                timestamp: timestampMillis))
        }
        await producer.shutdown()
    }

    func commit(group: String, at lags: [KafkaPartitionLag]) async throws {
        var configuration = KafkaConsumerConfiguration(client: testClient(), groupID: group)
        configuration.commitOnRevoke = false
        let consumer = try KafkaConsumer(configuration: configuration, logger: quietLogger)
        try await consumer.assign(Dictionary(uniqueKeysWithValues: lags.map { ($0.topicPartition, KafkaOffset.beginning) }))
        try consumer.store(offsets: Dictionary(uniqueKeysWithValues: lags.map { ($0.topicPartition, $0.watermarks.high) }))
        try await consumer.commit()
        await consumer.close()
    }

    func evaluate(_ configuration: HealthConfiguration) async -> HealthReport {
        let evaluator = HealthEvaluator(configuration: configuration, client: testClient(), logger: quietLogger)
        let report = await evaluator.evaluate()
        await evaluator.close()
        return report
    }

    /// `health serve` on a free port until `body` returns.
    func withServer(_ fixture: Fixture, _ body: (Int) async throws -> Void) async throws {
        let port = freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--metrics-port", String(port), "--interval", "1"] + fixture.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(fixture.environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let ready = try await eventually(within: .seconds(30)) { (try? curl("http://127.0.0.1:\(port)/readyz").status) == 200 }
        try #require(ready, "health serve never became ready")
        try await body(port)
    }

    func check(_ name: String, _ report: HealthReport) -> HealthCheck? { report.checks.first { $0.name == name } }

    /// The value of the sample `series` (name and labels exactly) in Prometheus text.
    func metricValue(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func aHealthyPipelinePassesEverywhere() async throws {
        try await withHealthyPipeline { fixture in
            let report = await evaluate(fixture.configuration)
            let statuses = report.checks.map { "\($0.status.rawValue) \($0.name): \($0.detail)" }
            #expect(report.overall == .pass, "\(statuses)")
            let expectedChecks = 2 + 6 + 4 + 2  // database, broker; 3 feeds × 2; 2 groups × 2; sink, window
            #expect(report.checks.count == expectedChecks)
            #expect(report.checks.allSatisfy { $0.status == .pass }, "\(statuses)")
            // 330 fresh seconds stored; the window is exactly 300 of them.
            #expect(report.feeds.map(\.freshSeconds) == [300, 300, 300])
            #expect(report.feeds.map(\.fillRate) == [1.0, 1.0, 1.0] as [Double?])
            // The newest tick is the newest stored second + 1 s − age_ms (250): at least 0.25 s before any
            // evaluation, since the fixture's newest second ended a second before it was written.
            let newestSecond = try await rows(
                "SELECT (extract(epoch FROM max(second)) * 1000000)::bigint::text FROM snapshots_1s WHERE source = 'binance'",
                fixture.configuration.postgres)[0][0].flatMap { Int64($0) }
            #expect(report.feeds[0].newestEventTime == newestSecond.map { $0 + 750_000 })
            let lag = try #require(report.feeds[0].lagSeconds)
            #expect(lag >= 0.25 && lag < 5)
            #expect(report.groups.map(\.lagMessages) == [0, 0])
            #expect(check("window chainlink_twap BTC-USD", report)?.value == 0.4)

            let text = try runExecutable(executable, ["check"] + fixture.arguments, environment: fixture.environment)
            #expect(text.status == 0, "\(text.output)")
            #expect(text.output.contains("OVERALL: PASS"))
            #expect(text.output.contains("binance         BTC-USDT"))
            let json = try runExecutable(executable, ["check", "--json"] + fixture.arguments, environment: fixture.environment)
            #expect(json.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any]
            #expect(object?["overall"] as? String == "PASS")

            // The server evaluates every second for as long as it takes to start: keep the feeds fresh meanwhile,
            // so its fill window never reaches past the fixture's newest second.
            let keepFresh = Task {
                while !Task.isCancelled {
                    try? await execute("""
                        INSERT INTO snapshots_1s (second, source, instrument, price, bid, ask, fresh, ticks, open, high, low, close,
                                                  age_ms, price_usd, fx, fx_assumed)
                        SELECT date_trunc('second', now()) - interval '1 second', f.source, f.instrument, 67000, 66999.9, 67000.1, true, 3,
                               67000, 67000, 67000, 67000, 250, 67000, 1, false
                        FROM (VALUES ('binance', 'BTC-USDT'), ('coinbase', 'BTC-USD'), ('chainlink_twap', 'BTC-USD')) f(source, instrument)
                        ON CONFLICT DO NOTHING
                        """, fixture.configuration.postgres)
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
            defer { keepFresh.cancel() }
            try await withServer(fixture) { port in
                let health = try curl("http://127.0.0.1:\(port)/health")
                #expect(health.status == 200)
                let object = try JSONSerialization.jsonObject(with: Data(health.body.utf8)) as? [String: Any]
                #expect(object?["overall"] as? String == "PASS")
                let metrics = try curl("http://127.0.0.1:\(port)/metrics").body
                #expect(metricValue(metrics, "tickbus_health_overall_pass") == 1)
                #expect(metricValue(metrics, #"tickbus_health_source_fill_ratio{source="binance",instrument="BTC-USDT"}"#) == 1)
                let group = fixture.configuration.groups[0].groupID
                #expect(metricValue(metrics, #"tickbus_health_consumer_lag_messages{group="\#(group)",role="aggregator"}"#) == 0)
                #expect(try curl("http://127.0.0.1:\(port)/livez").status == 200)
            }
        }
    }

    @Test func aSilentSourceFailsByNameWith503AndExit1() async throws {
        try await withHealthyPipeline { fixture in
            try await withServer(fixture) { port in
                #expect(try curl("http://127.0.0.1:\(port)/health").status == 200)
                // Coinbase stopped 90 s ago.
                try await execute("DELETE FROM snapshots_1s WHERE source = 'coinbase' AND second > now() - interval '90 seconds'",
                                  fixture.configuration.postgres)
                // Its producer said why (events.status, stored by the sink in venue_events).
                try await execute("""
                    INSERT INTO venue_events (ts, source, producer, conn, event, detail, last_seq) VALUES
                      (now() - interval '95 seconds', 'coinbase', 'coinbase-test', 1, 'connected', 'wss://ws-feed.exchange.coinbase.com', 0),
                      (now() - interval '85 seconds', 'coinbase', 'coinbase-test', 1, 'disconnected', 'connection failed: DNS lookup failed', 9),
                      (now() - interval '85 seconds', 'coinbase', 'coinbase-test', 1, 'gap_start', 'connection failed: DNS lookup failed', 9),
                      (now() - interval '40 seconds', 'coinbase', 'coinbase-test', 1, 'upgrade_refused',
                       'the WebSocket upgrade was refused: HTTP 451 Unavailable For Legal Reasons (unavailable for legal reasons: refused in this region?)', 9),
                      (now() - interval '39 seconds', 'coinbase', 'coinbase-test', 1, 'disconnected', 'the WebSocket upgrade was refused: HTTP 451', 9)
                    """, fixture.configuration.postgres)
                let unhealthy = try await eventually(within: .seconds(15)) { try curl("http://127.0.0.1:\(port)/health").status == 503 }
                #expect(unhealthy)
                let body = try curl("http://127.0.0.1:\(port)/health").body
                let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                let checks = object?["checks"] as? [[String: Any]] ?? []
                let failing = checks.filter { $0["status"] as? String == "FAIL" }.compactMap { $0["name"] as? String }
                #expect(failing == ["lag coinbase BTC-USD"])
                #expect(metricValue(try curl("http://127.0.0.1:\(port)/metrics").body, "tickbus_health_overall_pass") == 0)
            }
            let report = await evaluate(fixture.configuration)
            let lag = try #require(check("lag coinbase BTC-USD", report)?.value)
            #expect(lag > 89 && lag < 100)
            let detail = try #require(check("lag coinbase BTC-USD", report)?.detail)
            #expect(detail.contains("producer reports disconnected: the WebSocket upgrade was refused: HTTP 451 ("), "\(detail)")
            #expect(detail.contains("2 disconnects in the last hour without data"), "\(detail)")
            let connection = try #require(report.feeds.first { $0.feed.source == .coinbase }?.connection)
            #expect(connection.state == "disconnected")
            #expect(connection.connectedDetail == "wss://ws-feed.exchange.coinbase.com")
            #expect(connection.relay == nil)
            // 300 − 85 or so seconds remain in the window: a warning, not a failure.
            #expect(check("fill coinbase BTC-USD", report)?.status == .warn)
            let text = try runExecutable(executable, ["check"] + fixture.arguments, environment: fixture.environment)
            #expect(text.status == 1)
            #expect(text.output.contains("FAIL  lag coinbase BTC-USD"))
            #expect(text.output.contains("OVERALL: FAIL (failing: lag coinbase BTC-USD)"))
        }
    }

    @Test func aConsumerGroupFarBehindWarnsOrFailsPerThreshold() async throws {
        try await withHealthyPipeline { fixture in
            // 30 records written 150 s ago that neither group has consumed.
            try await send(30, to: fixture.configuration.topics.ticks(.binance), at: WallClock.microseconds() / 1000 - 150_000)
            var configuration = fixture.configuration
            let defaults = await evaluate(configuration)
            #expect(check("consumer aggregator messages behind", defaults)?.value == 30)
            #expect(check("consumer aggregator messages behind", defaults)?.status == .pass)
            let seconds = try #require(check("consumer aggregator seconds behind", defaults)?.value)
            #expect(seconds >= 150 && seconds < 160)
            #expect(check("consumer aggregator seconds behind", defaults)?.status == .fail)
            #expect(check("consumer sink seconds behind", defaults)?.status == .fail)
            #expect(defaults.overall == .fail)

            configuration.consumerMessages = .above(warn: 10, fail: 100)
            configuration.consumerSeconds = .above(warn: 100, fail: 600)
            let warned = await evaluate(configuration)
            #expect(warned.groups.map(\.verdict) == [.warn, .warn])
            #expect(warned.overall == .pass)

            configuration.consumerMessages = .above(warn: 5, fail: 20)
            let failed = await evaluate(configuration)
            #expect(check("consumer aggregator messages behind", failed)?.status == .fail)
            let text = try runExecutable(executable, ["check", "--threshold", "consumer.messages=5/20", "--threshold", "consumer.seconds=100/600"]
                                         + fixture.arguments, environment: fixture.environment)
            #expect(text.status == 1)
            #expect(text.output.contains("FAIL  consumer aggregator messages behind = 30 messages"))
        }
    }

    @Test func anUnreachableDatabaseFailsClearlyAndNoSecretIsShown() async throws {
        let secret = "s3cret-" + UUID().uuidString
        var configuration = HealthConfiguration()
        configuration.postgres = devPostgres()
        configuration.postgres.port = freePort()
        configuration.postgres.password = secret
        configuration.postgres.connectTimeout = .seconds(2)
        configuration.feeds = Self.feeds
        configuration.topics = uniqueTopics("health-down")
        let started = ContinuousClock.now
        let report = await evaluate(configuration)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(report.overall == .fail)
        let database = try #require(check("database", report))
        #expect(database.status == .fail)
        #expect(database.detail.contains("127.0.0.1:\(configuration.postgres.port)"), "\(database.detail)")
        // Three feeds × (lag, fill), sink freshness, the window; both groups have no topics under this prefix.
        #expect(report.checks.filter { $0.status == .skip }.count == 6 + 2 + 4)
        #expect(!report.json().contains(secret) && !report.text().contains(secret))

        let arguments = ["check", "--pg-host", "127.0.0.1", "--pg-port", String(configuration.postgres.port),
                         "--pg-sslmode", "disable", "--brokers", brokers, "--timeout", "3"]
        let down = try runExecutable(executable, arguments, environment: ["TICKBUS_PG_PASSWORD": secret, "TICKBUS_LOG_LEVEL": "debug"])
        #expect(down.status == 1)
        #expect(down.output.contains("FAIL  database"))
        #expect(!down.output.contains(secret))

        // The real server refuses the password: its SQLSTATE is shown, the password is not.
        let real = devPostgres()
        let refused = try runExecutable(executable, [
            "check", "--json", "--pg-host", real.host, "--pg-port", String(real.port), "--pg-user", real.user,
            "--pg-sslmode", "disable", "--brokers", brokers,
        ], environment: ["TICKBUS_PG_PASSWORD": secret, "TICKBUS_LOG_LEVEL": "debug"])
        #expect(refused.status == 1)
        #expect(refused.output.contains("28P01"), "\(refused.output)")
        #expect(!refused.output.contains(secret))
    }

    @Test(arguments: [
        (["check", "--threshold", "binance.lag=30/10"], "--threshold (TICKBUS_HEALTH_THRESHOLDS): 'binance.lag=30/10': WARN must be ≤ FAIL"),
        (["check", "--threshold", "venues.fill=0.5/0.9"], "a fill rate warns before it fails, so WARN must be ≥ FAIL"),
        (["check", "--threshold", "nowhere.lag=1/2"], "--threshold (TICKBUS_HEALTH_THRESHOLDS): unknown key 'nowhere.lag'"),
        (["check", "--threshold", "binance.lag=fast"], "'binance.lag=fast' is not KEY=WARN/FAIL"),
        (["check", "--source", "nasdaq"], "--source (TICKBUS_HEALTH_SOURCES): unknown source 'nasdaq'"),
        (["check", "--window", "5"], "--window (TICKBUS_HEALTH_WINDOW_SECONDS): expected 10-86400, got '5'"),
        (["serve", "--interval", "0"], "--interval (TICKBUS_HEALTH_INTERVAL_SECONDS): expected 1-3600, got '0'"),
    ])
    func badSettingsExit2NamingTheSetting(arguments: [String], message: String) throws {
        let result = try runExecutable(executable, arguments)
        #expect(result.status == 2)
        #expect(result.output.contains(message), "\(result.output)")
    }
}
