import TickbusMarket

/// What the price topics of Polymarket's real-time data socket (RTDS) have in common, written once for
/// ``ChainlinkAdapter`` (`crypto_prices_chainlink`) and ``BinanceRTDSAdapter`` (`crypto_prices`): endpoint,
/// keepalive, subscribe envelope and message shapes (venues.md §11).
///
/// A message is `{"topic":…,"type":"update","timestamp":<send ms>,"payload":{"symbol":…,"timestamp":<observation
/// ms>,"value":<number>,"full_accuracy_value":"<18-decimal integer>"?}}`; one oracle tick per observation, with
/// `payload.timestamp` as venue time and `value` as the price. A frame may be a JSON array of messages; an
/// empty or whitespace frame is a keepalive; the connect-time history snapshot (`payload.data`, a list of
/// `{timestamp,value}`, sometimes without a `topic`) is decoded too, so a reconnect near a window boundary
/// keeps the open.
struct RTDSMessages: Sendable {
    static let endpoint = "wss://ws-live-data.polymarket.com"
    /// Text `PING` every 5 s (answered `PONG`); prices arrive about once a second.
    static let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text("PING"), interval: .seconds(5)), dataTimeout: .seconds(15))

    /// The topic a message must have when it names one.
    let topic: StaticString
    let symbols: SymbolTable

    /// The subscribe frame of `subscriptions` (JSON objects with `topic`, `type` and `filters`).
    static func subscribeFrame(_ subscriptions: [String]) -> WebSocketFrame {
        .text(#"{"action":"subscribe","subscriptions":[\#(subscriptions.joined(separator: ","))]}"#)
    }

    /// Decodes one frame for `adapter` (whose source the ticks and errors carry). A message of another topic
    /// or of a symbol not subscribed is a decode error; an `error`/`message` without payload a rejection.
    func decode(_ frame: WebSocketFrame, receiveTime: Int64, for adapter: some VenueAdapter) throws(VenueDecodeError) -> [VenueEvent] {
        // Keepalives are a few bytes: only short frames are trimmed, so a data frame costs no copy here.
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }
        if frame.bytes.allSatisfy(isSpace) { return [.heartbeat] }
        if frame.bytes.count <= 16 {
            let trimmed = frame.bytes.filter { !isSpace($0) }
            if trimmed.elementsEqual("PONG".utf8) || trimmed.elementsEqual("pong".utf8) { return [.pong] }
        }
        let root = try adapter.parseJSON(frame).root
        let messages = root.kind == .array ? root.elements : [root]
        var events: [VenueEvent] = []
        for message in messages {
            guard message.kind == .object else { throw adapter.fail("message is not an object") }
            if let topic = message["topic"], !topic.stringEquals(self.topic) {
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
            if let history = payload["data"] {  // connect-time snapshot
                guard history.kind == .array else { throw adapter.fail("field 'data' is not an array") }
                for point in history.elements {
                    events.append(.tick(try tick(point, symbol: symbol, instrument: instrument, receiveTime: receiveTime, for: adapter)))
                }
            } else {
                events.append(.tick(try tick(payload, symbol: symbol, instrument: instrument, receiveTime: receiveTime, for: adapter)))
            }
        }
        return events
    }

    private func tick(_ point: JSONValue, symbol: String, instrument: Instrument, receiveTime: Int64,
                      for adapter: some VenueAdapter) throws(VenueDecodeError) -> Tick {
        Tick(
            source: adapter.source, instrument: instrument, venueSymbol: symbol, kind: .oracle,
            last: try adapter.decimal(point["value"], "value"),
            exact: point["full_accuracy_value"]?.string,
            venueTime: try adapter.milliseconds(point["timestamp"], "timestamp"), receiveTime: receiveTime)
    }
}
