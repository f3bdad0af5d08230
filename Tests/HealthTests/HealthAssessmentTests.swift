import Foundation
@testable import Health
import Testing
import TickbusKafka
import TickbusMarket
import TickbusPostgres

/// Verdicts from measurements, with no I/O.
@Suite("health assessment")
struct HealthAssessmentTests {
    let binance = Feed(source: .binance, instrument: try! Instrument("BTC-USDT"))
    /// The required oracle feed: the series the markets resolve on.
    let chainlink = Feed(source: .chainlinkTWAP, instrument: try! Instrument("BTC-USD"))
    /// 2026-11-24T09:20:00Z: five minutes into the 09:15 window.
    let now: Int64 = 1_795_478_400_000_000 + 9 * 3_600_000_000 + 20 * 60_000_000

    var configuration: HealthConfiguration {
        var configuration = HealthConfiguration()
        configuration.feeds = [binance, chainlink]
        configuration.groups = [ConsumerGroup(role: .aggregator, groupID: "aggregator")]
        return configuration
    }

    func healthy() -> PostgresMeasurements {
        var measured = PostgresMeasurements(schemaVersion: 2)
        measured.feeds[binance] = .init(newestSecond: now - 3_000_000, newestAgeMillis: 250, freshSeconds: 300, snapshotSeconds: 300)
        measured.feeds[chainlink] = .init(newestSecond: now - 4_000_000, newestAgeMillis: 600, freshSeconds: 240, snapshotSeconds: 300)
        measured.sinkLastCommit = now - 1_500_000
        measured.sinkInstances = 1
        let start = now - 300_000_000
        measured.windows = [
            .init(windowStart: start - 900_000_000, open: 66_900, openDelayMillis: 400, current: 67_010, ticks: 880,
                  final: true, complete: true, maxGapMillis: 2_100),
            .init(windowStart: start, open: 67_010, openDelayMillis: 350, current: 67_050.5, ticks: 290,
                  final: false, complete: true, maxGapMillis: 1_800),
        ]
        return measured
    }

    func kafka(messages: Int64 = 0, oldest: Int64? = nil) -> KafkaMeasurements {
        var measured = KafkaMeasurements(topics: 9)
        measured.groups[ConsumerGroup(role: .aggregator, groupID: "aggregator")] = .init(
            topics: ["ticks.binance"], partitions: 6, committedPartitions: 6, messages: messages, oldestUnconsumedMillis: oldest)
        return measured
    }

    func check(_ name: String, _ report: HealthReport) -> HealthCheck? { report.checks.first { $0.name == name } }

    @Test func limitsAreInclusiveOfTheWarnLevel() {
        let lag = Limit.above(warn: 10, fail: 30)
        #expect([9.9, 10, 10.1, 30, 30.1].map(lag.status) == [.pass, .pass, .warn, .warn, .fail])
        let fill = Limit.below(warn: 0.9, fail: 0.5)
        #expect([1, 0.9, 0.899, 0.5, 0.499].map(fill.status) == [.pass, .pass, .warn, .warn, .fail])
        #expect(Limit.above(warn: 30, fail: 10).isOrdered == false)
        #expect(Limit.below(warn: 0.5, fail: 0.9).isOrdered == false)
    }

    @Test func aHealthyPipelinePassesWithMeasuredValues() throws {
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(healthy()), kafka: .success(kafka()))
        #expect(report.overall == .pass)
        #expect(report.checks.map(\.name) == [
            "database", "broker", "lag binance BTC-USDT", "fill binance BTC-USDT", "lag chainlink_twap BTC-USD",
            "fill chainlink_twap BTC-USD", "consumer aggregator messages behind", "consumer aggregator seconds behind",
            "sink freshness", "window chainlink_twap BTC-USD",
        ])
        #expect(report.checks.allSatisfy { $0.status == .pass })
        // Newest tick = second + 1 s − age: 3 s − 1 s + 0.25 s behind now.
        #expect(check("lag binance BTC-USDT", report)?.value == 2.25)
        #expect(check("lag chainlink_twap BTC-USD", report)?.value == 3.6)
        #expect(check("fill chainlink_twap BTC-USD", report)?.value == 0.8)
        #expect(check("sink freshness", report)?.value == 1.5)
        #expect(check("window chainlink_twap BTC-USD", report)?.value == 0.35)
        #expect(report.feeds.map(\.verdict) == [.pass, .pass])
        #expect(report.feeds[0].freshSeconds == 300 && report.feeds[0].expectedSeconds == 300)
    }

    @Test func aSilentSourceFailsByNameAndTheRestStillPass() throws {
        var measured = healthy()
        measured.feeds[binance] = .init(newestSecond: now - 95_000_000, newestAgeMillis: 0, freshSeconds: 200, snapshotSeconds: 210)
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(report.overall == .fail)
        let failing = report.checks.filter { $0.status == .fail }.map(\.name)
        #expect(failing == ["lag binance BTC-USDT"])
        #expect(check("lag binance BTC-USDT", report)?.value == 94)
        #expect(check("fill binance BTC-USDT", report)?.status == .warn)  // 200/300 = 0.667
        #expect(report.text().contains("OVERALL: FAIL (failing: lag binance BTC-USDT)"))
        measured.feeds[binance] = nil
        let missing = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(check("lag binance BTC-USDT", missing)?.detail.contains("no fresh snapshot of binance BTC-USDT") == true)
        #expect(check("fill binance BTC-USDT", missing)?.status == .fail)
    }

    @Test func theBinanceRTDSRelayIsJudgedLikeChainlinkAndHasNoWindowCheck() throws {
        let relay = Feed(source: .binanceRTDS, instrument: try Instrument("BTC-USDT"))
        #expect(Feed.all.count == 14 && Feed.all[11] == relay)
        #expect(Feed.all.filter { !$0.required }.map(\.source) == [.chainlink, .binanceRTDS, .pyth])
        var configuration = configuration
        configuration.feeds = [binance, chainlink, relay]
        #expect(configuration.fillLimit(of: .binanceRTDS) == configuration.oracleFill)
        #expect(configuration.lagLimit(of: .binanceRTDS) == configuration.oracleLag)
        // One update in most seconds: 0.7 is a pass for an oracle feed, a warning for an exchange.
        var measured = healthy()
        measured.feeds[relay] = .init(newestSecond: now - 4_000_000, newestAgeMillis: 300, freshSeconds: 210, snapshotSeconds: 300)
        measured.feeds[binance] = .init(newestSecond: now - 3_000_000, newestAgeMillis: 250, freshSeconds: 210, snapshotSeconds: 300)
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(check("fill binance_rtds BTC-USDT", report)?.status == .pass)
        #expect(check("fill binance BTC-USDT", report)?.status == .warn)
        #expect(check("lag binance_rtds BTC-USDT", report)?.value == 3.3)
        #expect(report.checks.filter { $0.name.hasPrefix("window ") }.map(\.name) == ["window chainlink_twap BTC-USD"],
                "one window check: the series the markets resolve on")
        #expect(report.text().contains("binance_rtds    BTC-USDT"))
    }

    @Test func aNewFeedIsJudgedOnTheSecondsSinceItStarted() throws {
        var measured = healthy()
        let windowEnd = now - 5_000_000  // settle 5 s
        measured.feeds[binance] = .init(newestSecond: now - 3_000_000, newestAgeMillis: 250, freshSeconds: 58, snapshotSeconds: 60,
                                        firstSecondInWindow: windowEnd - 60_000_000, hasEarlierSnapshots: false)
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        let fill = try #require(check("fill binance BTC-USDT", report))
        #expect(fill.value == 58.0 / 60.0)
        #expect(fill.status == .pass)
        #expect(fill.detail == "58 of 60 s had ticks (60 snapshots, since the feed's first snapshot at 2026-11-24T09:18:55.000Z)")
        #expect(report.feeds[0].expectedSeconds == 60)
        // The same counts for a feed that existed before the window: it was silent most of the window.
        measured.feeds[binance]?.hasEarlierSnapshots = true
        let old = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(check("fill binance BTC-USDT", old)?.status == .fail)
    }

    @Test func consumerLagIsJudgedInMessagesAndSeconds() throws {
        var configuration = configuration
        configuration.consumerMessages = .above(warn: 100, fail: 1000)
        let oldest = now / 1000 - 42_500
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(healthy()),
                                             kafka: .success(kafka(messages: 500, oldest: oldest)))
        #expect(check("consumer aggregator messages behind", report)?.status == .warn)
        #expect(check("consumer aggregator messages behind", report)?.value == 500)
        #expect(check("consumer aggregator seconds behind", report)?.value == 42.5)
        #expect(check("consumer aggregator seconds behind", report)?.status == .warn)
        #expect(report.overall == .pass)
        #expect(report.groups.first?.verdict == .warn)
        let far = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(healthy()),
                                          kafka: .success(kafka(messages: 5000, oldest: now / 1000 - 150_000)))
        #expect(far.overall == .fail)
        #expect(far.checks.filter { $0.status == .fail }.map(\.name) == ["consumer aggregator messages behind", "consumer aggregator seconds behind"])
    }

    @Test func theOpenWindowMustExistAfterItsGraceAndOpenPromptly() throws {
        var measured = healthy()
        measured.windows.removeLast()
        let missing = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(check("window chainlink_twap BTC-USD", missing)?.status == .fail)
        #expect(check("window chainlink_twap BTC-USD", missing)?.detail.contains("no row for the window opened at 2026-11-24T09:15:00.000Z") == true)
        // Ten seconds into a window its row may not exist yet.
        let early = HealthAssessment.report(configuration: configuration, now: now - 290_000_000, postgres: .success(measured), kafka: .success(kafka()))
        #expect(check("window chainlink_twap BTC-USD", early)?.status == .pass)
        var late = healthy()
        late.windows[1].openDelayMillis = 7_200
        late.windows[0].final = false
        let doubtful = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(late), kafka: .success(kafka()))
        let window = try #require(check("window chainlink_twap BTC-USD", doubtful))
        #expect(window.status == .warn)
        #expect(window.value == 7.2)
        #expect(window.detail.contains("the open came 7.2 s after the boundary"))
        #expect(window.detail.contains("the previous window (2026-11-24T09:00:00.000Z) is not final"))
    }

    @Test func anUnreachableDatabaseFailsAndSkipsWhatItWouldMeasure() throws {
        let error = DatabaseError(.unavailable, "connecting: connection refused")
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .failure(error), kafka: .success(kafka()))
        #expect(report.overall == .fail)
        #expect(check("database", report)?.status == .fail)
        #expect(check("database", report)?.detail.contains("connection refused") == true)
        let skipped = report.checks.filter { $0.status == .skip }.map(\.name)
        #expect(skipped == ["lag binance BTC-USDT", "fill binance BTC-USDT", "lag chainlink_twap BTC-USD", "fill chainlink_twap BTC-USD",
                            "sink freshness", "window chainlink_twap BTC-USD"])
        #expect(check("consumer aggregator messages behind", report)?.status == .pass)
    }

    @Test func theJSONCarriesEveryCheckWithItsThreshold() throws {
        var measured = healthy()
        measured.feeds[chainlink] = nil
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        #expect(object["overall"] as? String == "FAIL")
        #expect(object["generated_at"] as? String == "2026-11-24T09:20:00.000Z")
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.count == 10)
        let lag = try #require(checks.first { $0["name"] as? String == "lag chainlink_twap BTC-USD" })
        #expect(lag["status"] as? String == "FAIL")
        #expect(lag["value"] is NSNull)
        let threshold = try #require(lag["threshold"] as? [String: Any])
        #expect(threshold["warn"] as? Double == 10 && threshold["fail"] as? Double == 30 && threshold["direction"] as? String == "above")
        let feeds = try #require(object["feeds"] as? [[String: Any]])
        #expect(feeds.map { $0["verdict"] as? String } == ["PASS", "FAIL"])
        #expect(feeds.first?["fill_rate"] as? Double == 1)
    }

    @Test func anInformationalFeedWarnsAtWorstAndNeverFailsOverall() throws {
        let spot = Feed(source: .chainlink, instrument: try Instrument("BTC-USD"))
        #expect(!spot.required)
        var configuration = configuration
        configuration.feeds = [binance, chainlink, spot]
        var measured = healthy()
        measured.feeds[spot] = nil  // silent: RTDS gone
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(report.overall == .pass)
        #expect(check("lag chainlink BTC-USD", report)?.status == .warn)
        #expect(check("lag chainlink BTC-USD", report)?.required == false)
        #expect(check("fill chainlink BTC-USD", report)?.status == .warn)
        #expect(report.text().contains("* informational: warns, never fails OVERALL"))
        // Made required (`--source chainlink!`), the same silence fails.
        configuration.feeds[2].required = true
        let strict = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(strict.overall == .fail)
        #expect(check("lag chainlink BTC-USD", strict)?.status == .fail)
    }

    @Test func aFailingFeedNamesItsProducersOwnAccountOfTheConnection() throws {
        var measured = healthy()
        measured.feeds[chainlink] = .init(newestSecond: now - 46_000_000, newestAgeMillis: 0, freshSeconds: 250, snapshotSeconds: 300)
        measured.connections[.chainlinkTWAP] = .init(
            state: "connected", stateDetail: "rtds wss://ws-live-data.polymarket.com", stateTime: now - 2_000_000,
            problem: "stale", problemDetail: "rtds: subscribed, no live data for 15 s", problemTime: now - 3_000_000,
            connectedDetail: "rtds wss://ws-live-data.polymarket.com", failedAttempts: 3)
        let report = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        let lag = try #require(check("lag chainlink_twap BTC-USD", report))
        #expect(lag.status == .fail)
        #expect(lag.detail == "newest tick 2026-11-24T09:19:15.000Z, 45 s ago; producer reports stale: rtds: subscribed, no live data for 15 s (3 s ago); latest connected: rtds wss://ws-live-data.polymarket.com (2 s ago); 3 disconnects in the last hour without data; relay rtds")
        #expect(report.overall == .fail)
        let row = try #require(report.text().split(separator: "\n").first { $0.hasPrefix("chainlink_twap") })
        #expect(row.hasSuffix("FAIL     rtds"), "the relay in use: \(row)")
        // A passing feed's detail stays short; its connection is in the JSON either way.
        measured.connections[.binance] = .init(state: "subscribed", stateDetail: "bookTicker", stateTime: now - 60_000_000,
                                               connectedDetail: "wss://stream.binance.com:9443/stream")
        let again = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        #expect(check("lag binance BTC-USDT", again)?.detail == "newest tick 2026-11-24T09:19:57.750Z, 2.25 s ago")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(again.json().utf8)) as? [String: Any])
        let feeds = try #require(object["feeds"] as? [[String: Any]])
        let twap = try #require(feeds.first { $0["source"] as? String == "chainlink_twap" })
        let connection = try #require(twap["connection"] as? [String: Any])
        #expect(connection["relay"] as? String == "rtds")
        #expect(connection["last_problem"] as? String == "rtds: subscribed, no live data for 15 s")
        #expect(connection["failed_attempts_last_hour"] as? Int == 3)
        #expect((feeds.first { $0["source"] as? String == "binance" }?["connection"] as? [String: Any])?["relay"] is NSNull)
        // No snapshot at all, but a producer that reports: the cause is its own, not "is it running?".
        measured.feeds[chainlink] = nil
        let none = HealthAssessment.report(configuration: configuration, now: now, postgres: .success(measured), kafka: .success(kafka()))
        let detail = try #require(check("lag chainlink_twap BTC-USD", none)?.detail)
        #expect(detail.hasPrefix("no fresh snapshot of chainlink_twap BTC-USD in the last 24 h; its producer is running; producer reports stale"))
    }
}
