import Foundation
import Logging
import Synchronization
import Testing
import TickbusTestSupport
import TickbusKafka
import TickbusMarket
import VenueSim
@testable import Producers

/// PolyBolt and the refusals of issue 18 against venue-sim and the local broker: authentication with right
/// and wrong credentials, gaps, close codes, a silent relay, an ignored provider pin, a refused upgrade.
extension SupervisorTests {
    var demo: PolymarketCredentials {
        PolymarketCredentials(apiKey: "tickbus-demo-key", secret: "tickbus-demo-secret", passphrase: "tickbus-demo-passphrase")
    }

    var btc: [Instrument] { [try! Instrument("BTC-USD")] }

    func statusTexts(_ topics: TopicNames) async throws -> [String] {
        try await readAll(topics.status, partitions: 3).map { String(decoding: $0.value, as: UTF8.self) }
    }

    @Test func polyBoltAuthenticatesSubscribesAndRecordsTheTWAPAcrossAReconnectWithoutDuplicates() async throws {
        let log = CapturingLogHandler()
        // A long data timeout: the final silence must not reconnect while the topic is read.
        try await withPipeline(.chainlinkTWAP, endpoint: "polybolt", dataTimeout: .seconds(60),
                               adapter: ChainlinkTWAPAdapter(instruments: btc, credentials: demo), logger: .capturing(log)) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 30 }
            simulator.injectPolyBolt("close", parameters: ["code": "4002"])  // slow consumer: reconnect, reseed
            try await waitUntil { supervisor.counts.connections >= 2 && supervisor.counts.ticks >= 60 }
            simulator.injectPolyBolt("silent")
            try await Task.sleep(for: .milliseconds(600))
            let ticks = try await readAll(topics.ticks(.chainlinkTWAP), partitions: 2).map { try TickCodec.decode($0.value) }
            #expect(ticks.count == supervisor.counts.ticks)
            #expect(Set(ticks.map(\.venueTime)).count == ticks.count, "the second snapshot replays nothing already sent")
            let times = ticks.sorted { $0.sequence < $1.sequence }.compactMap(\.venueTime)
            #expect(times == times.sorted(), "observations in order across the reconnect")
            #expect(ticks.allSatisfy { $0.kind == .oracle && $0.source == .chainlinkTWAP && $0.venueSymbol == "btcusd" })
            for tick in ticks {
                let exact = try #require(tick.exact.flatMap(DecimalText.init))
                #expect(exact.doubleValue == tick.last?.doubleValue, "exact \(exact) is the value \(tick.last?.text ?? "-")")
            }
            let live = supervisor.counts.ticks - supervisor.counts.historyTicks
            #expect(live == simulator.polyboltStatistics.liveFrames["price.crypto.twap"], "every live frame sent is a tick")
            #expect(Set(ticks.map(\.connection)) == [1, 2])
            let events = try await statusTexts(topics)
            #expect(events.filter { $0.contains(#""event":"authenticated""#) }.count == 2, "authenticated again after the reconnect")
            #expect(events.filter { $0.contains(#""event":"subscribed""#) && $0.contains("price.crypto.twap btcusd 60 s") }.count == 2)
            #expect(events.contains { $0.contains(#""event":"connected""#) && $0.contains("polybolt ws://127.0.0.1") })
            #expect(events.contains { $0.contains(#""event":"disconnected""#) && $0.contains("4002") })
            #expect(simulator.polyboltStatistics.authAccepted == 2)
            let lines = log.all
            #expect(!lines.isEmpty)
            for text in lines + events { #expect(!demo.appears(in: text), "a credential leaked: \(text)") }
        }
    }

    @Test func wrongCredentialsAreAClearRefusalNotAHotLoopAndNeverLeak() async throws {
        let log = CapturingLogHandler()
        let wrong = PolymarketCredentials(apiKey: "wrong-key-42", secret: "wrong-secret-42", passphrase: "wrong-pass-42")
        try await withPipeline(.chainlinkTWAP, endpoint: "polybolt", adapter: ChainlinkTWAPAdapter(instruments: btc, credentials: wrong),
                               logger: .capturing(log)) { simulator, supervisor, topics in
            try await waitUntil { simulator.polyboltStatistics.authRefused >= 1 }
            try await Task.sleep(for: .seconds(3))
            #expect(supervisor.counts.connectAttempts == 1, "credentials refused: no retry within the fix-configuration delay")
            #expect(simulator.polyboltStatistics.authRefused == 1)
            #expect(supervisor.counts.ticks == 0)
            let events = try await statusTexts(topics)
            let rejected = try #require(events.first { $0.contains(#""event":"rejected""#) })
            #expect(rejected.contains("polybolt error auth_invalid: invalid api credentials"))
            #expect(rejected.contains("TICKBUS_POLYMARKET_API_KEY"))
            #expect(!events.contains { $0.contains(#""event":"subscribed""#) }, "never subscribed without authentication")
            for text in log.all + events { #expect(!wrong.appears(in: text), "a credential leaked: \(text)") }
        }
    }

    @Test func droppedFramesBecomeAGapEventWithTheCount() async throws {
        try await withPipeline(.chainlinkTWAP, endpoint: "polybolt", adapter: ChainlinkTWAPAdapter(instruments: btc, credentials: demo)) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            simulator.injectPolyBolt("drop", parameters: ["count": "7"])
            let before = supervisor.counts.ticks
            try await waitUntil { supervisor.counts.ticks >= before + 10 }
            let gaps = try await statusTexts(topics).filter { $0.contains(#""event":"gap""#) }
            #expect(gaps.count == 1)
            #expect(gaps.first?.contains("7 frames missed") == true, "\(gaps)")
            #expect(supervisor.counts.missedFrames == 7)
            #expect(supervisor.counts.connections == 1, "a gap is reported, not a reason to reconnect")
        }
    }

    @Test func aDrainingServerGetsOneReconnectWithinTenSeconds() async throws {
        try await withPipeline(.chainlinkTWAP, endpoint: "polybolt", adapter: ChainlinkTWAPAdapter(instruments: btc, credentials: demo)) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 10 }
            let closed = ContinuousClock.now
            simulator.injectPolyBolt("close", parameters: ["code": "4003"])
            try await waitUntil(.seconds(12)) { supervisor.counts.connections >= 2 }
            #expect(ContinuousClock.now - closed < .milliseconds(10_600))
            let before = supervisor.counts.ticks
            try await waitUntil { supervisor.counts.ticks >= before + 10 }
            #expect(supervisor.counts.connectAttempts == 2, "exactly one reconnect")
            let events = try await statusTexts(topics)
            #expect(events.contains { $0.contains(#""event":"disconnected""#) && $0.contains("polybolt closed 4003 (server draining: venue-sim); one reconnect within 10 s") }, "\(events)")
        }
    }

    @Test(arguments: [4001, 4008])
    func credentialAndPolicyClosesAreNotRetriedInALoop(code: Int) async throws {
        try await withPipeline(.chainlinkTWAP, endpoint: "polybolt", adapter: ChainlinkTWAPAdapter(instruments: btc, credentials: demo)) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 5 }
            simulator.injectPolyBolt("close", parameters: ["code": String(code)])
            try await waitUntil { simulator.polyboltStatistics.closes[String(code)] == 1 }
            try await Task.sleep(for: .seconds(3))
            #expect(supervisor.counts.connectAttempts == 1, "no reconnect within the fix-configuration delay")
            let events = try await statusTexts(topics)
            let rejected = try #require(events.first { $0.contains(#""event":"rejected""#) })
            #expect(rejected.contains("polybolt closed \(code)"))
            #expect(rejected.contains(code == 4001 ? "authentication failed" : "policy violation"))
        }
    }

    @Test func anIgnoredProviderPinStoresNothingUnderTheWrongName() async throws {
        // Pyth served from the first frame on; the producer reconnects while no live data arrives (every 2 s).
        try await withPipeline(.chainlink, simulator: { $0.polyboltIgnoresProvider = true }, endpoint: "polybolt",
                               adapter: ChainlinkAdapter(instruments: btc, credentials: demo)) { _, supervisor, topics in
            try await waitUntil { supervisor.counts.foreignFrames >= 20 }
            #expect(supervisor.counts.ticks == 0, "Pyth's frames are not Chainlink's")
            let events = try await statusTexts(topics)
            let wrong = events.filter { $0.contains(#""event":"wrong_source""#) }
            let connections = try wrong.map { try JSONDocument(parsing: Array($0.utf8)).root["conn"]?.int64 ?? -1 }
            #expect(!wrong.isEmpty && Set(connections).count == wrong.count, "reported once per connection: \(connections)")
            #expect(wrong.first?.contains("PolyBolt serves pyth, not chainlink") == true)
            #expect(try await readAll(topics.ticks(.chainlink), partitions: 2).isEmpty)
        }
    }

    @Test(arguments: [OracleRelay.polybolt, .rtds])
    func aSilentRelayIsStaleNamingTheRelayAndKeepsBackingOff(relay: OracleRelay) async throws {
        let adapter = relay == .polybolt
            ? ChainlinkTWAPAdapter(instruments: btc, credentials: demo) : ChainlinkTWAPAdapter(instruments: btc)
        try await withPipeline(.chainlinkTWAP, endpoint: relay == .polybolt ? "polybolt" : nil, adapter: adapter) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 5 }
            if relay == .polybolt { simulator.injectPolyBolt("silent") } else { simulator.inject(.stall, into: .chainlinkTWAP) }
            let live = supervisor.counts.ticks - supervisor.counts.historyTicks
            try await waitUntil { supervisor.counts.connectAttempts >= 3 }
            #expect(supervisor.counts.ticks - supervisor.counts.historyTicks == live, "nothing live since")
            let stale = try await statusTexts(topics).filter { $0.contains(#""event":"stale""#) }
            #expect(stale.count >= 2)
            #expect(stale.allSatisfy { $0.contains("\(relay): subscribed, no live data for 2") }, "\(stale)")
        }
    }

    @Test func aRefusedUpgradeSaysTheStatusAndWhyAndBacksOff() async throws {
        try await withPipeline(.binance) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 5 }
            simulator.inject(.refuse, into: .binance)  // 451
            simulator.inject(.disconnect, into: .binance)
            try await waitUntil { simulator.refusedUpgrades(.binance) >= 4 }
            let refused = try await statusTexts(topics).filter { $0.contains(#""event":"upgrade_refused""#) }
            #expect(!refused.isEmpty)
            #expect(refused.allSatisfy { $0.contains("the WebSocket upgrade was refused: HTTP 451") && $0.contains("refused in this region?") }, "\(refused)")
            simulator.inject(.admit, into: .binance)
            let before = supervisor.counts.ticks
            try await waitUntil { supervisor.counts.ticks >= before + 10 }
        }
    }

    @Test func aRateLimitedUpgradeWaitsItsRetryAfter() async throws {
        try await withPipeline(.okx) { simulator, supervisor, topics in
            try await waitUntil { supervisor.counts.ticks >= 5 }
            simulator.refuseUpgrades(.okx, status: 429, retryAfter: 2)
            simulator.inject(.disconnect, into: .okx)
            try await waitUntil { supervisor.counts.connectAttempts >= 2 }
            let attempts = supervisor.counts.connectAttempts
            try await Task.sleep(for: .milliseconds(1500))
            #expect(supervisor.counts.connectAttempts == attempts, "no attempt before the Retry-After (backoff alone is ≤ 1 s)")
            let refused = try await statusTexts(topics).filter { $0.contains(#""event":"upgrade_refused""#) }
            #expect(refused.first?.contains("HTTP 429") == true && refused.first?.contains("asks to wait 2.0 seconds") == true, "\(refused)")
        }
    }
}
