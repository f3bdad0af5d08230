import TickbusMarket

/// What the price topics of Polymarket's legacy real-time data socket (RTDS, deprecated; docs/relays.md#rtds)
/// have in common, written once for ``ChainlinkAdapter`` (`crypto_prices_chainlink`), ``ChainlinkTWAPAdapter``
/// (`crypto_prices_twap_sixty`/`_thirty`) and ``BinanceRTDSAdapter`` (`crypto_prices`): endpoint, keepalive,
/// subscribe envelope and message shapes.
///
/// A message is `{"topic":…,"type":"update","timestamp":<send ms>,"payload":{"symbol":…,"timestamp":<observation
/// ms>,"value":<number>,"full_accuracy_value":"<E18 fixed-point integer>"?}}`; one oracle tick per observation,
/// with `payload.timestamp` as venue time, `value` as the price and `exact` the E18 integer converted exactly
/// (or `value`'s own digits when there is none). A frame may be a JSON array of messages; an empty or
/// whitespace frame is a keepalive; the connect-time history snapshot (`payload.data`, a list of
/// `{timestamp,value}`, sometimes without a `topic`) is decoded too, so a reconnect near a window boundary
/// keeps the open — as history, and only the observations this producer has not sent yet.
struct RTDSMessages: Sendable {
    static let endpoint = "wss://ws-live-data.polymarket.com"
    /// Text `PING` every 5 s (answered `PONG`); prices arrive about once a second.
    static let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text("PING"), interval: .seconds(5)), dataTimeout: .seconds(15))

    /// The topic a message must have when it names one.
    let topic: StaticString
    let symbols: SymbolTable
    /// Topics of a related series that is not this source's (the 30 s TWAP for a 60 s source): recognised,
    /// counted, reported once per connection and dropped, never stored as this source.
    var otherSeries: [StaticString] = []

    /// The subscribe frame of `subscriptions` (JSON objects with `topic`, `type` and `filters`).
    static func subscribeFrame(_ subscriptions: [String]) -> WebSocketFrame {
        .text(#"{"action":"subscribe","subscriptions":[\#(subscriptions.joined(separator: ","))]}"#)
    }

    /// Decodes one frame for `adapter` (whose source the ticks and errors carry). A message of another topic
    /// or of a symbol not subscribed is a decode error; an `error`/`message` without payload a rejection.
    func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession, into events: inout [VenueEvent],
                for adapter: some VenueAdapter) throws(VenueDecodeError) {
        // Keepalives are a few bytes: only short frames are trimmed, so a data frame costs no copy here.
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        if frame.bytes.allSatisfy(isSpace) { events.append(.heartbeat); return }
        if frame.bytes.count <= 16 {
            let trimmed = frame.bytes.filter { !isSpace($0) }
            if trimmed.elementsEqual("PONG".utf8) || trimmed.elementsEqual("pong".utf8) { events.append(.pong); return }
        }
        let root = try adapter.parseJSON(frame).root
        let messages = root.kind == .array ? root.elements : [root]
        // Observations are marked sent only once the whole frame decoded (a bad one is dead-lettered whole).
        var observed: [(tick: Tick, history: Bool)] = []
        for message in messages {
            guard message.kind == .object else { throw adapter.fail("message is not an object") }
            if let topic = message["topic"], !topic.stringEquals(self.topic) {
                if let other = otherSeries.first(where: { topic.stringEquals($0) }) {
                    session.foreignFrames += 1
                    if session.firstReport(other.description) {
                        events.append(.status(.wrongSource, "rtds \(other) is not \(adapter.source)'s series (\(self.topic)): frames counted and dropped"))
                    }
                    continue
                }
                throw adapter.fail("unexpected topic '\(topic.string ?? "?")'")
            }
            guard let payload = message["payload"] else {
                if let error = message["error"] ?? message["message"] {
                    events.append(.rejected(error.string ?? "error"))
                    continue
                }
                throw adapter.fail("field 'payload' missing")
            }
            guard let symbol = payload["symbol"]?.string, let instrument = symbols.instrument(for: symbol) else {
                throw adapter.fail("missing or unsubscribed symbol")
            }
            if let history = payload["data"] {  // connect-time snapshot: what this producer has not sent yet
                guard history.kind == .array else { throw adapter.fail("field 'data' is not an array") }
                for point in history.elements {
                    observed.append((try tick(point, symbol: symbol, instrument: instrument, receiveTime: receiveTime, for: adapter), true))
                }
            } else {
                observed.append((try tick(payload, symbol: symbol, instrument: instrument, receiveTime: receiveTime, for: adapter), false))
            }
        }
        for (tick, history) in observed {
            let new = session.sent.insert(tick.instrument, venueTime: tick.venueTime ?? 0)
            if !history { events.append(.tick(tick)) } else if new { events.append(.history(tick)) }
        }
    }

    private func tick(_ point: JSONValue, symbol: String, instrument: Instrument, receiveTime: Int64,
                      for adapter: some VenueAdapter) throws(VenueDecodeError) -> Tick {
        let value = try adapter.decimal(point["value"], "value")
        var exact = ExactDecimal.decimal(value.text)
        if let full = point["full_accuracy_value"] {
            // RTDS's full accuracy is an E18 fixed-point integer (as a string, sometimes as a number).
            guard let text = full.string ?? full.rawBytes.map({ String(decoding: $0, as: UTF8.self) }),
                  let converted = ExactDecimal.fromE18(text) else {
                throw adapter.fail("field 'full_accuracy_value' is not an E18 fixed-point integer")
            }
            exact = converted
        }
        return Tick(
            source: adapter.source, instrument: instrument, venueSymbol: symbol, kind: .oracle, last: value, exact: exact,
            venueTime: try adapter.milliseconds(point["timestamp"], "timestamp"), receiveTime: receiveTime)
    }
}
