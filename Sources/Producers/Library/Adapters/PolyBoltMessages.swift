import TickbusMarket

/// Polymarket's PolyBolt live-data socket (docs/relays.md#polybolt), written once for the three sources that
/// read it: `chainlink_twap` (`price.crypto.twap`), `chainlink` and `pyth` (`price.crypto` with a provider pin).
///
/// A connection sends `auth` with the user's CLOB credentials, waits for `authed`, then subscribes; every op
/// is answered by an ack or an error ack. Data frames are envelopes `{"v":1,"channel","seq","ts","snapshot"?,
/// "dropped"?,"payload"}`: `seq` is consecutive per channel and connection, `snapshot:true` marks the one
/// history frame per subscription (`payload.data`, the last ~2 minutes), `dropped` counts frames the server
/// discarded because we were slow. The observation time is `payload.timestamp`, never the envelope's `ts`.
/// Every payload names its `source`; a frame of another source (a provider pin the server ignored) is never
/// stored as ours: counted, reported once per connection, dropped.
struct PolyBoltMessages: Sendable {
    static let endpoint = "wss://ws-live-v2.polymarket.com/ws"
    /// Active (channel, filter) pairs a connection may hold; more closes it with 4008.
    static let subscriptionLimit = 64
    /// The server pings every 25 s (answered by the WebSocket library); reports arrive about once a second.
    static let heartbeat = HeartbeatRule(keepalive: .serverPings, dataTimeout: .seconds(15))

    /// `price.crypto.twap` or `price.crypto`.
    let channel: StaticString
    /// The `source` every payload must name (`chainlink`, `pyth`).
    let expectedSource: String
    /// The `provider` pin put in the filter (`price.crypto` only).
    let provider: String?
    /// The TWAP window (`price.crypto.twap` only).
    let windowSeconds: Int?
    let symbols: SymbolTable
    let credentials: PolymarketCredentials

    /// `{"op":"auth","rid":"a1","auth":{"apiKey":…,"secret":…,"passphrase":…}}`.
    func authFrame() -> WebSocketFrame {
        var bytes: [UInt8] = []
        JSONWriter.appendLiteral(#"{"op":"auth","rid":"a1","auth":{"apiKey":"#, to: &bytes)
        JSONWriter.appendString(credentials.apiKey, to: &bytes)
        JSONWriter.appendLiteral(#","secret":"#, to: &bytes)
        JSONWriter.appendString(credentials.secret, to: &bytes)
        JSONWriter.appendLiteral(#","passphrase":"#, to: &bytes)
        JSONWriter.appendString(credentials.passphrase, to: &bytes)
        JSONWriter.appendLiteral("}}", to: &bytes)
        return WebSocketFrame(opcode: .text, bytes: bytes)
    }

    /// One batch subscription for every symbol (a batch counts once against the 20-per-second limit).
    func subscribeFrame() -> WebSocketFrame {
        let subscriptions = symbols.instruments.map { instrument in
            var filter = #"{"symbol":"\#(Self.symbol(instrument))""#
            if let windowSeconds { filter += #","window_seconds":\#(windowSeconds)"# }
            if let provider { filter += #","provider":"\#(provider)""# }
            return #"{"channel":"\#(channel)","filter":\#(filter)}}"#
        }
        return .text(#"{"op":"subscribe","rid":"s1","subscriptions":[\#(subscriptions.joined(separator: ","))]}"#)
    }

    /// BTC-USD → `btcusd` (PolyBolt spells USD, lower case, no separator).
    static func symbol(_ instrument: Instrument) -> String { (instrument.base + instrument.quote).lowercased() }

    func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession,
                into events: inout [VenueEvent], for adapter: some VenueAdapter) throws(VenueDecodeError) {
        let root = try adapter.parseJSON(frame).root
        guard root.kind == .object else { throw adapter.fail("message is not an object") }
        if let op = root["op"] {
            try acknowledgement(op.string ?? "", root, into: &events, for: adapter)
            return
        }
        guard let channelValue = root["channel"] else { throw adapter.fail("neither 'op' nor 'channel'") }
        guard channelValue.stringEquals(channel) else {
            throw adapter.fail("unexpected channel '\(channelValue.string ?? "?")'")
        }
        guard let payload = root["payload"] else { throw adapter.fail("field 'payload' missing") }
        checkSequence(seq: root["seq"]?.int64, dropped: root["dropped"]?.int64 ?? 0, session: &session, into: &events)
        let isSnapshot = root["snapshot"]?.bool == true
        // A snapshot of `price.polymarket` may be `[]`; ours are objects, an empty history is an empty `data`.
        if payload.kind == .array, payload.elements.isEmpty, isSnapshot { return }
        guard payload.kind == .object else { throw adapter.fail("field 'payload' is not an object") }
        let source = payload["source"]?.string
        let window = (payload["window_seconds"] ?? payload["window_s"])?.int64
        if let foreign = foreignSeries(source: source, window: window) {
            session.foreignFrames += 1
            if session.firstReport(foreign) {
                events.append(.status(.wrongSource, "\(foreign) on \(channel): frames counted and dropped, none stored as \(adapter.source)"))
            }
            return
        }
        guard let symbol = payload["symbol"]?.string, let instrument = symbols.instrument(for: symbol) else {
            throw adapter.fail("missing or unsubscribed symbol '\(payload["symbol"]?.string ?? "?")'")
        }
        // Every entry decodes before any is marked sent: a frame that fails is dead-lettered whole, and the
        // next snapshot still brings what it held.
        if let history = payload["data"] {
            guard history.kind == .array else { throw adapter.fail("field 'data' is not an array") }
            var ticks: [Tick] = []
            for point in history.elements {
                ticks.append(try observation(point, symbol: symbol, instrument: instrument, receiveTime: receiveTime, for: adapter))
            }
            for tick in ticks where session.sent.insert(instrument, venueTime: tick.venueTime ?? 0) { events.append(.history(tick)) }
        } else {
            let tick = try observation(payload, symbol: symbol, instrument: instrument, receiveTime: receiveTime, for: adapter)
            let new = session.sent.insert(instrument, venueTime: tick.venueTime ?? 0)
            if !isSnapshot { events.append(.tick(tick)) } else if new { events.append(.history(tick)) }
        }
    }

    /// What makes a payload another series than ours: another `source`, none at all, or another TWAP window.
    private func foreignSeries(source: String?, window: Int64?) -> String? {
        guard let source else { return "PolyBolt names no source" }
        if source != expectedSource { return "PolyBolt serves \(source), not \(expectedSource)" }
        if let windowSeconds, let window, window != Int64(windowSeconds) {
            return "PolyBolt serves a \(window) s TWAP, not \(windowSeconds) s"
        }
        return nil
    }

    /// A `seq` that is not the previous one + 1, or `dropped` > 0: frames we never got, reported with the
    /// count (the larger of the two when both say so: a server may or may not number the frames it drops).
    private func checkSequence(seq: Int64?, dropped: Int64, session: inout AdapterSession, into events: inout [VenueEvent]) {
        let key = channel.description
        var jump: Int64 = 0
        var detail: [String] = []
        if let seq {
            if let last = session.sequences[key] {
                if seq > last + 1 {
                    jump = seq - last - 1
                    detail.append("seq \(last) → \(seq)")
                } else if seq <= last {
                    detail.append("seq went back from \(last) to \(seq)")
                }
            }
            session.sequences[key] = seq
        }
        if dropped > 0 { detail.append("the server dropped \(dropped) (slow consumer)") }
        guard !detail.isEmpty else { return }
        session.missedFrames += Int(clamping: max(jump, dropped))
        events.append(.status(.gap, "polybolt \(channel): \(max(jump, dropped)) frames missed (\(detail.joined(separator: "; ")))"))
    }

    private func observation(_ point: JSONValue, symbol: String, instrument: Instrument, receiveTime: Int64,
                             for adapter: some VenueAdapter) throws(VenueDecodeError) -> Tick {
        let value = try adapter.decimal(point["value"], "value")
        var exact = ExactDecimal.decimal(value.text)
        if let full = point["full_accuracy_value"] {
            guard let text = full.string, let decimal = ExactDecimal.decimal(text) else {
                throw adapter.fail("field 'full_accuracy_value' is not a decimal string")
            }
            exact = decimal
        }
        return Tick(source: adapter.source, instrument: instrument, venueSymbol: symbol, kind: .oracle, last: value,
                    exact: exact, venueTime: try adapter.milliseconds(point["timestamp"], "timestamp"), receiveTime: receiveTime)
    }

    /// Acks and error acks: `authed` lets the supervisor subscribe; error codes become faults with the retry
    /// their cause calls for (docs/relays.md#polybolt-errors).
    private func acknowledgement(_ op: String, _ root: JSONValue, into events: inout [VenueEvent],
                                 for adapter: some VenueAdapter) throws(VenueDecodeError) {
        switch op {
        case "authed":
            events.append(.status(.authenticated, "polybolt: credentials accepted"))
            events.append(.welcome)
        case "subscribed":
            guard root["channel"]?.stringEquals(channel) ?? true else { events.append(.heartbeat); return }
            let served = root["provider"]?.string.map { ", provider \($0)" } ?? ""
            let names = symbols.instruments.map(Self.symbol).joined(separator: ",")
            events.append(.subscribed("polybolt \(channel) \(names)\(windowSeconds.map { " \($0) s" } ?? "")\(served)"))
        case "pong": events.append(.pong)
        // `challenge` belongs to Polymarket's web app (a Turnstile ticket); API-key clients ignore it.
        case "unsubscribed", "challenge": events.append(.heartbeat)
        case "error":
            let code = root["code"]?.string ?? "unknown"
            let message = (root["message"] ?? root["msg"] ?? root["reason"])?.string.map { ": \($0)" } ?? ""
            events.append(.fault(Self.errorFault(code: code, detail: "polybolt error \(code)\(message)")))
        default:
            throw adapter.fail("unknown op '\(op)'")
        }
    }

    static let credentialHint = "check TICKBUS_POLYMARKET_API_KEY, TICKBUS_POLYMARKET_SECRET and TICKBUS_POLYMARKET_PASSPHRASE"

    static func errorFault(code: String, detail: String) -> ConnectionFault {
        switch code {
        case "auth_invalid", "auth_attempts":
            ConnectionFault("\(detail) (credentials refused: \(credentialHint))", retry: .fixConfiguration)
        case "auth_required":
            ConnectionFault("\(detail) (subscribed before authenticating: a Tickbus bug, please report)", retry: .fixConfiguration)
        case "bad_filter", "sub_limit", "unknown_channel", "bad_request":
            ConnectionFault("\(detail) (the subscription is wrong: check --instrument and --twap-window)", retry: .fixConfiguration)
        case "auth_unavailable":
            ConnectionFault("\(detail) (Polymarket's auth service is down; retrying with backoff)", retry: .backoff)
        default:  // rate_limited and anything new: back off with jitter
            ConnectionFault(detail, retry: .backoff)
        }
    }

    /// PolyBolt's close codes: 4001 credentials, 4002 slow consumer or pong timeout, 4003 draining, 4008 policy.
    static func closeFault(code: Int, reason: String?) -> ConnectionFault {
        let said = reason.flatMap { $0.isEmpty ? nil : ": \($0)" } ?? ""
        return switch code {
        case 4001: ConnectionFault("polybolt closed 4001 (authentication failed\(said); \(credentialHint))", retry: .fixConfiguration)
        case 4002: ConnectionFault("polybolt closed 4002 (slow consumer or pong timeout\(said))", retry: .backoff)
        case 4003: ConnectionFault("polybolt closed 4003 (server draining\(said)); one reconnect within 10 s", retry: .onceWithin(.seconds(10)))
        case 4008: ConnectionFault("polybolt closed 4008 (policy violation\(said): a Tickbus bug, please report)", retry: .fixConfiguration)
        default: ConnectionFault("polybolt closed \(code)\(said)", retry: .backoff)
        }
    }
}
