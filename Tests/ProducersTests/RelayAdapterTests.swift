import Foundation
import Testing
import TickbusMarket
@testable import Producers

/// The Polymarket-relayed oracle sources (`chainlink_twap`, `chainlink`, `pyth`) on documentation-shaped
/// frames of both relays (docs/relays.md): values, `exact`, µs observation times, snapshots, acks, error acks,
/// close codes, gaps, and frames of another source never stored as ours.
@Suite("Polymarket relays: PolyBolt and RTDS")
struct RelayAdapterTests {
    let received: Int64 = 1_788_973_003_123_456
    let credentials = PolymarketCredentials(apiKey: "k-123", secret: "s-456\"quoted", passphrase: "p-789")
    var btc: [Instrument] { [try! Instrument("BTC-USD")] }

    func ticks(_ events: [VenueEvent]) -> [(tick: Tick, history: Bool)] {
        events.compactMap {
            switch $0 {
            case .tick(let tick): (tick, false)
            case .history(let tick): (tick, true)
            default: nil
            }
        }
    }

    func decode(_ adapter: some VenueAdapter, _ text: String, _ session: inout AdapterSession) throws -> [VenueEvent] {
        var events: [VenueEvent] = []
        try adapter.decode(.text(text), receiveTime: received, session: &session, into: &events)
        return events
    }

    // MARK: PolyBolt

    @Test func polyBoltTWAPLiveFrameFromTheDocs() throws {
        let adapter = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        var session = AdapterSession()
        let frame = #"{"v":1,"channel":"price.crypto.twap","seq":3,"ts":1788973002000,"payload":{"symbol":"btcusd","value":64120.7,"full_accuracy_value":"64120.70000000","timestamp":1788973002000,"window_seconds":60,"source":"chainlink"}}"#
        let decoded = ticks(try decode(adapter, frame, &session))
        #expect(decoded.count == 1)
        let tick = try #require(decoded.first)
        #expect(!tick.history)
        #expect(tick.tick.source == .chainlinkTWAP)
        #expect(tick.tick.kind == .oracle)
        #expect(tick.tick.instrument.description == "BTC-USD")
        #expect(tick.tick.venueSymbol == "btcusd")
        #expect(tick.tick.last?.text == "64120.7")
        #expect(tick.tick.exact == "64120.70000000", "PolyBolt's decimal string is kept digit for digit")
        #expect(tick.tick.venueTime == 1_788_973_002_000_000, "payload.timestamp, in µs")
        #expect(tick.tick.receiveTime == received)
        #expect(session.sequences["price.crypto.twap"] == 3)
    }

    @Test func polyBoltHandshakeSubscriptionAndAcks() throws {
        let adapter = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        #expect(adapter.defaultEndpoint == "wss://ws-live-v2.polymarket.com/ws")
        #expect(adapter.heartbeat.keepalive == .serverPings)
        #expect(adapter.relay == "polybolt")
        #expect(adapter.subscribesAfterWelcome)
        #expect(adapter.handshakeFrames() == [.text(#"{"op":"auth","rid":"a1","auth":{"apiKey":"k-123","secret":"s-456\"quoted","passphrase":"p-789"}}"#)])
        #expect(adapter.subscribeFrames() == [.text(#"{"op":"subscribe","rid":"s1","subscriptions":[{"channel":"price.crypto.twap","filter":{"symbol":"btcusd","window_seconds":60}}]}"#)])
        let spot = ChainlinkAdapter(instruments: btc, credentials: credentials)
        #expect(spot.subscribeFrames() == [.text(#"{"op":"subscribe","rid":"s1","subscriptions":[{"channel":"price.crypto","filter":{"symbol":"btcusd","provider":"chainlink"}}]}"#)])
        let pyth = PythAdapter(instruments: btc, credentials: credentials)
        #expect(pyth.subscribeFrames() == [.text(#"{"op":"subscribe","rid":"s1","subscriptions":[{"channel":"price.crypto","filter":{"symbol":"btcusd","provider":"pyth"}}]}"#)])

        var session = AdapterSession()
        #expect(try decode(adapter, #"{"op":"authed","rid":"a1"}"#, &session) == [.status(.authenticated, "polybolt: credentials accepted"), .welcome])
        #expect(try decode(adapter, #"{"op":"subscribed","channel":"price.crypto.twap","rid":"s1"}"#, &session) == [.subscribed("polybolt price.crypto.twap btcusd 60 s")])
        #expect(try decode(spot, #"{"op":"subscribed","channel":"price.crypto","rid":"s1","provider":"chainlink"}"#, &session) == [.subscribed("polybolt price.crypto btcusd, provider chainlink")])
        #expect(try decode(adapter, #"{"op":"pong","rid":"p1"}"#, &session) == [.pong])
        #expect(try decode(adapter, #"{"op":"challenge","ticket":"x"}"#, &session) == [.heartbeat], "the web app's Turnstile op is ignored")
        #expect(throws: VenueDecodeError(source: .chainlinkTWAP, reason: "unknown op 'surprise'")) { try decode(adapter, #"{"op":"surprise"}"#, &session) }
    }

    @Test(arguments: [
        ("auth_invalid", ConnectionFault.Retry.fixConfiguration), ("auth_attempts", .fixConfiguration), ("auth_required", .fixConfiguration),
        ("bad_filter", .fixConfiguration), ("sub_limit", .fixConfiguration), ("auth_unavailable", .backoff), ("rate_limited", .backoff),
        ("something_new", .backoff),
    ])
    func polyBoltErrorAcksAreTypedFaults(code: String, retry: ConnectionFault.Retry) throws {
        let adapter = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        var session = AdapterSession()
        let events = try decode(adapter, #"{"op":"error","code":"\#(code)","rid":"a1","message":"nope"}"#, &session)
        guard case .fault(let fault) = try #require(events.first) else { Issue.record("\(events)"); return }
        #expect(fault.retry == retry)
        #expect(fault.reason.hasPrefix("polybolt error \(code): nope"))
        if code == "auth_invalid" { #expect(fault.reason.contains("TICKBUS_POLYMARKET_API_KEY")) }
        #expect(!credentials.appears(in: fault.reason))
    }

    @Test func polyBoltCloseCodes() {
        let adapter = PythAdapter(instruments: btc, credentials: credentials)
        #expect(adapter.closeFault(code: 4001, reason: "bad key").retry == .fixConfiguration)
        #expect(adapter.closeFault(code: 4001, reason: "bad key").reason.contains("authentication failed: bad key"))
        #expect(adapter.closeFault(code: 4002, reason: nil).retry == .backoff)
        #expect(adapter.closeFault(code: 4003, reason: nil).retry == .onceWithin(.seconds(10)))
        #expect(adapter.closeFault(code: 4008, reason: nil).retry == .fixConfiguration)
        #expect(adapter.closeFault(code: 4008, reason: nil).reason.contains("policy violation"))
        #expect(adapter.closeFault(code: 1000, reason: "").retry == .backoff)
        #expect(BinanceAdapter(instruments: [try! Instrument("BTC-USDT")]).closeFault(code: 1001, reason: "going away").reason == "closed by venue (code 1001: going away)")
    }

    @Test func polyBoltSnapshotEntriesAreHistoryAndNeverSentTwice() throws {
        let adapter = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        var session = AdapterSession()
        let snapshot = #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1788973003000,"snapshot":true,"payload":{"symbol":"btcusd","data":[{"timestamp":1788973000000,"value":64120.1,"full_accuracy_value":"64120.10000000"},{"timestamp":1788973001000,"value":64120.4,"full_accuracy_value":"64120.40000000"}],"window_seconds":60,"source":"chainlink"}}"#
        let first = ticks(try decode(adapter, snapshot, &session))
        #expect(first.map(\.history) == [true, true])
        #expect(first.map { $0.tick.venueTime } == [1_788_973_000_000_000, 1_788_973_001_000_000])
        #expect(first.map { $0.tick.exact } == ["64120.10000000", "64120.40000000"])
        let live = #"{"v":1,"channel":"price.crypto.twap","seq":2,"ts":1788973002000,"payload":{"symbol":"btcusd","value":64120.7,"full_accuracy_value":"64120.70000000","timestamp":1788973002000,"window_seconds":60,"source":"chainlink"}}"#
        #expect(ticks(try decode(adapter, live, &session)).map(\.history) == [false])
        // A reconnect: new seq numbering, and a snapshot that overlaps what was sent: only the new entry.
        session.newConnection()
        let again = #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1788973004000,"snapshot":true,"payload":{"symbol":"btcusd","data":[{"timestamp":1788973001000,"value":64120.4},{"timestamp":1788973002000,"value":64120.7},{"timestamp":1788973003000,"value":64121}],"window_seconds":60,"source":"chainlink"}}"#
        let replayed = ticks(try decode(adapter, again, &session))
        #expect(replayed.map { $0.tick.venueTime } == [1_788_973_003_000_000])
        #expect(replayed.first?.tick.exact == "64121", "without full_accuracy_value, the value's own digits")
        // An empty snapshot is nothing.
        session.newConnection()
        #expect(try decode(adapter, #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"snapshot":true,"payload":{"symbol":"btcusd","data":[],"window_seconds":60,"source":"chainlink"}}"#, &session).isEmpty)
    }

    @Test func polyBoltSeqJumpsAndDroppedAreGapEventsWithTheCount() throws {
        let adapter = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        var session = AdapterSession()
        func frame(_ seq: Int, dropped: Int? = nil, at second: Int) -> String {
            #"{"v":1,"channel":"price.crypto.twap","seq":\#(seq),"ts":1,\#(dropped.map { #""dropped":\#($0),"# } ?? "")"payload":{"symbol":"btcusd","value":1.5,"full_accuracy_value":"1.5","timestamp":\#(1_788_973_000_000 + second * 1000),"window_seconds":60,"source":"chainlink"}}"#
        }
        #expect(try decode(adapter, frame(1, at: 0), &session).count == 1)
        #expect(try decode(adapter, frame(2, at: 1), &session).count == 1)
        let jumped = try decode(adapter, frame(6, at: 2), &session)
        #expect(jumped.first == .status(.gap, "polybolt price.crypto.twap: 3 frames missed (seq 2 → 6)"))
        #expect(ticks(jumped).count == 1, "the frame after the gap is still data")
        let dropped = try decode(adapter, frame(7, dropped: 12, at: 3), &session)
        #expect(dropped.first == .status(.gap, "polybolt price.crypto.twap: 12 frames missed (the server dropped 12 (slow consumer))"))
        let both = try decode(adapter, frame(10, dropped: 2, at: 4), &session)
        #expect(both.first == .status(.gap, "polybolt price.crypto.twap: 2 frames missed (seq 7 → 10; the server dropped 2 (slow consumer))"))
        #expect(try decode(adapter, frame(11, at: 5), &session).count == 1, "consecutive again: no event")
        #expect(session.missedFrames == 3 + 12 + 2)
    }

    @Test func aFrameOfAnotherSourceIsCountedReportedOnceAndDropped() throws {
        let chainlink = ChainlinkAdapter(instruments: btc, credentials: credentials)
        var session = AdapterSession()
        let pythFrame = #"{"v":1,"channel":"price.crypto","seq":1,"ts":1,"payload":{"symbol":"btcusd","value":64100.5,"full_accuracy_value":"64100.5","timestamp":1788973002000,"source":"pyth"}}"#
        #expect(try decode(chainlink, pythFrame, &session) == [.status(.wrongSource, "PolyBolt serves pyth, not chainlink on price.crypto: frames counted and dropped, none stored as chainlink")])
        #expect(try decode(chainlink, pythFrame.replacingOccurrences(of: #""seq":1"#, with: #""seq":2"#), &session).isEmpty, "reported once per connection")
        #expect(session.foreignFrames == 2)
        session.newConnection()
        #expect(try decode(chainlink, pythFrame.replacingOccurrences(of: #""seq":1"#, with: #""seq":3"#), &session).count == 1, "and again on the next connection")
        // Pyth keeps it; a frame naming no source is nobody's; a 30 s TWAP is not the 60 s series.
        let pyth = PythAdapter(instruments: btc, credentials: credentials)
        var pythSession = AdapterSession()
        #expect(ticks(try decode(pyth, pythFrame, &pythSession)).map { $0.tick.source } == [.pyth])
        let unnamed = #"{"v":1,"channel":"price.crypto","seq":2,"ts":1,"payload":{"symbol":"btcusd","value":1,"timestamp":1788973002000}}"#
        #expect(ticks(try decode(pyth, unnamed, &pythSession)).isEmpty)
        let twap = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        var twapSession = AdapterSession()
        let thirty = #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"payload":{"symbol":"btcusd","value":1,"timestamp":1788973002000,"window_seconds":30,"source":"chainlink"}}"#
        #expect(try decode(twap, thirty, &twapSession) == [.status(.wrongSource, "PolyBolt serves a 30 s TWAP, not 60 s on price.crypto.twap: frames counted and dropped, none stored as chainlink_twap")])
    }

    @Test(arguments: [
        #"{"v":1,"channel":"price.crypto","seq":1,"ts":1,"payload":{"symbol":"btcusd","value":1,"timestamp":1,"window_seconds":60,"source":"chainlink"}}"#,
        #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"payload":{"symbol":"ethusd","value":1,"timestamp":1,"window_seconds":60,"source":"chainlink"}}"#,
        #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"payload":{"symbol":"btcusd","value":"x","timestamp":1,"window_seconds":60,"source":"chainlink"}}"#,
        #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"payload":{"symbol":"btcusd","value":1,"full_accuracy_value":"1e","timestamp":1,"window_seconds":60,"source":"chainlink"}}"#,
        #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"payload":{"symbol":"btcusd","value":1,"window_seconds":60,"source":"chainlink"}}"#,
        #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1}"#,
        #"{"v":1,"seq":1}"#,
        #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"snapshot":true,"payload":{"symbol":"btcusd","data":{},"window_seconds":60,"source":"chainlink"}}"#,
        #"[1,2]"#,
    ])
    func malformedPolyBoltFramesAreDecodeErrors(_ text: String) {
        let adapter = ChainlinkTWAPAdapter(instruments: btc, credentials: credentials)
        var session = AdapterSession()
        let error = #expect(throws: VenueDecodeError.self) { try decode(adapter, text, &session) }
        #expect(error?.source == .chainlinkTWAP)
    }

    // MARK: RTDS TWAP topics

    @Test func rtdsThirtySecondTWAPFrameFromTheDocs() throws {
        // The documentation's example is the thirty-second topic; a 30 s source records it.
        let adapter = ChainlinkTWAPAdapter(instruments: btc, windowSeconds: 30)
        let frame = #"{"topic":"crypto_prices_twap_thirty","type":"update","timestamp":1785178800123,"payload":{"symbol":"btc/usd","value":65000.5,"full_accuracy_value":"65000500000000000000000","timestamp":1785178800000,"window_s":30}}"#
        var session = AdapterSession()
        let decoded = ticks(try decode(adapter, frame, &session))
        #expect(decoded.count == 1)
        #expect(decoded[0].tick.last?.text == "65000.5")
        #expect(decoded[0].tick.exact == "65000.5")
        #expect(decoded[0].tick.venueTime == 1_785_178_800_000_000)
        #expect(decoded[0].tick.venueSymbol == "btc/usd")
        #expect(decoded[0].tick.source == .chainlinkTWAP)
        // The 60 s source recognises the topic and stores nothing of it.
        let sixty = ChainlinkTWAPAdapter(instruments: btc)
        var other = AdapterSession()
        #expect(try decode(sixty, frame, &other) == [.status(.wrongSource, "rtds crypto_prices_twap_thirty is not chainlink_twap's series (crypto_prices_twap_sixty): frames counted and dropped")])
        #expect(other.foreignFrames == 1)
    }

    @Test func rtdsSixtySecondTWAPSubscriptionFramesAndReplayedHistory() throws {
        let adapter = ChainlinkTWAPAdapter(instruments: btc)
        #expect(adapter.relay == "rtds")
        #expect(adapter.defaultEndpoint == "wss://ws-live-data.polymarket.com")
        #expect(!adapter.acknowledgesSubscriptions)
        #expect(adapter.handshakeFrames().isEmpty)
        #expect(adapter.subscribeFrames() == [.text(#"{"action":"subscribe","subscriptions":[{"topic":"crypto_prices_twap_sixty","type":"update","filters":"{\"symbol\":\"btc/usd\"}"}]}"#)])
        var session = AdapterSession()
        let live = #"{"topic":"crypto_prices_twap_sixty","type":"update","timestamp":1785178801123,"payload":{"symbol":"btc/usd","value":65000,"full_accuracy_value":"65000000000000000000000","timestamp":1785178801000,"window_s":60}}"#
        let tick = try #require(ticks(try decode(adapter, live, &session)).first)
        #expect(tick.tick.exact == "65000", "trailing zeros dropped, no point")
        #expect(!tick.history)
        // The connect-time history after a reconnect replays that observation: only the new one is sent.
        session.newConnection()
        let history = #"{"payload":{"symbol":"btc/usd","data":[{"timestamp":1785178801000,"value":65000},{"timestamp":1785178802000,"value":65000.25}]}}"#
        let replayed = ticks(try decode(adapter, history, &session))
        #expect(replayed.map { $0.tick.venueTime } == [1_785_178_802_000_000])
        #expect(replayed.map(\.history) == [true])
        #expect(try decode(adapter, "PONG", &session) == [.pong])
    }

    // MARK: Configuration

    @Test func relayChoiceFollowsTheCredentials() throws {
        #expect(try RelaySettings().relay(for: .chainlinkTWAP) == .rtds)
        #expect(try RelaySettings(credentials: credentials).relay(for: .chainlinkTWAP) == .polybolt)
        #expect(try RelaySettings(relay: .rtds, credentials: credentials).relay(for: .chainlink) == .rtds)
        #expect(throws: RelaySettings.Invalid.self) { try RelaySettings().relay(for: .pyth) }
        #expect(throws: RelaySettings.Invalid.self) { try RelaySettings(relay: .rtds, credentials: credentials).relay(for: .pyth) }
        let missing = #expect(throws: RelaySettings.Invalid.self) { try RelaySettings(relay: .polybolt).relay(for: .chainlinkTWAP) }
        #expect(missing?.description.contains("TICKBUS_POLYMARKET_API_KEY") == true)
        #expect(try Adapters.make(.chainlinkTWAP, instruments: btc, relay: RelaySettings(credentials: credentials)).relay == "polybolt")
        #expect(try Adapters.make(.chainlinkTWAP, instruments: btc).relay == "rtds")
        #expect(throws: RelaySettings.Invalid.self) { try Adapters.make(.chainlinkTWAP, instruments: btc, relay: RelaySettings(twapWindowSeconds: 45)) }
        #expect(try Adapters.make(.chainlinkTWAP, instruments: btc, relay: RelaySettings(twapWindowSeconds: 30)).relay == "rtds")
        let thirty = #expect(throws: RelaySettings.Invalid.self) {
            try Adapters.make(.chainlinkTWAP, instruments: btc, relay: RelaySettings(credentials: credentials, twapWindowSeconds: 30))
        }
        #expect(thirty?.description.contains("PolyBolt serves only the 60 s TWAP") == true)
        let many = (0..<65).map { try! Instrument("C\($0)-USD") }
        let tooMany = #expect(throws: RelaySettings.Invalid.self) {
            try Adapters.make(.chainlinkTWAP, instruments: many, relay: RelaySettings(credentials: credentials))
        }
        #expect(tooMany?.description.contains("at most 64 subscriptions per connection, got 65") == true)
        #expect(try Adapters.make(.chainlinkTWAP, instruments: many).relay == "rtds", "RTDS has no such limit")
    }

    @Test func credentialsComeFromTheEnvironmentOrFilesAndNeverPrint() throws {
        #expect(try PolymarketCredentials.load(from: [:]) == nil)
        let loaded = try #require(try PolymarketCredentials.load(from: [
            "TICKBUS_POLYMARKET_API_KEY": "key-1", "TICKBUS_POLYMARKET_SECRET": " secret-2\n", "TICKBUS_POLYMARKET_PASSPHRASE": "pass-3",
        ]))
        #expect(loaded == PolymarketCredentials(apiKey: "key-1", secret: "secret-2", passphrase: "pass-3"))
        for text in ["\(loaded)", String(describing: loaded), String(reflecting: loaded), "\([loaded])"] {
            #expect(!loaded.appears(in: text), "\(text)")
        }
        let partial = #expect(throws: PolymarketCredentials.ConfigurationError.self) {
            try PolymarketCredentials.load(from: ["TICKBUS_POLYMARKET_API_KEY": "key-1", "TICKBUS_POLYMARKET_SECRET": "secret-2"])
        }
        #expect(partial?.description == "TICKBUS_POLYMARKET_PASSPHRASE (or TICKBUS_POLYMARKET_PASSPHRASE_FILE): required with the other Polymarket credentials")
        let path = "/tmp/tickbus-test-passphrase-\(received)"
        try "file-pass\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let fromFile = try PolymarketCredentials.load(from: [
            "TICKBUS_POLYMARKET_API_KEY": "key-1", "TICKBUS_POLYMARKET_SECRET": "secret-2", "TICKBUS_POLYMARKET_PASSPHRASE_FILE": path,
        ])
        #expect(fromFile?.passphrase == "file-pass")
        let unreadable = #expect(throws: PolymarketCredentials.ConfigurationError.self) {
            try PolymarketCredentials.load(from: ["TICKBUS_POLYMARKET_API_KEY_FILE": "/nonexistent/key"])
        }
        #expect(unreadable?.description == "TICKBUS_POLYMARKET_API_KEY_FILE: cannot read '/nonexistent/key'")
    }

    @Test func normalizeTakesEitherRelaysFramesUnderOneSourceRule() throws {
        var normalizer = FrameNormalizer(adapter: try Adapters.makeForRecordedFrames(.chainlinkTWAP, instruments: btc), producer: "n")
        var output: [UInt8] = []
        let lines = [
            #"{"v":1,"channel":"price.crypto.twap","seq":3,"ts":1788973002000,"payload":{"symbol":"btcusd","value":64120.7,"full_accuracy_value":"64120.70000000","timestamp":1788973002000,"window_seconds":60,"source":"chainlink"}}"#,
            #"{"topic":"crypto_prices_twap_sixty","type":"update","timestamp":1788973003100,"payload":{"symbol":"btc/usd","value":64121.5,"full_accuracy_value":"64121500000000000000000","timestamp":1788973003000,"window_s":60}}"#,
            #"{"op":"authed","rid":"a1"}"#,
            #"{"v":1,"channel":"price.crypto.twap","seq":1,"ts":1,"snapshot":true,"payload":{"symbol":"btcusd","data":[{"timestamp":1788973002000,"value":64120.7},{"timestamp":1788973004000,"value":64122}],"window_seconds":60,"source":"chainlink"}}"#,
            #"{"v":1,"channel":"price.crypto.twap","seq":2,"ts":1,"payload":{"symbol":"btcusd","value":1,"timestamp":1788973005000,"window_seconds":60,"source":"pyth"}}"#,
        ]
        let problems = lines.map { normalizer.normalize(line: Array($0.utf8)[...], receiveTime: 5, output: &output) }
        #expect(problems.allSatisfy { $0 == nil }, "\(problems)")
        let decoded = try String(decoding: output, as: UTF8.self).split(separator: "\n").map { try TickCodec.decode(Array($0.utf8)) }
        #expect(decoded.map(\.venueTime) == [1_788_973_002_000_000, 1_788_973_003_000_000, 1_788_973_004_000_000], "one observation per line, the snapshot's repeat left out")
        #expect(decoded.map(\.exact) == ["64120.70000000", "64121.5", "64122"])
        #expect(decoded.map(\.venueSymbol) == ["btcusd", "btc/usd", "btcusd"])
        #expect(decoded.allSatisfy { $0.source == .chainlinkTWAP })
        #expect(normalizer.foreignFrames == 1)
    }
}
