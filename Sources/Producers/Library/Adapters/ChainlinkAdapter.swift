public import TickbusMarket

/// Chainlink BTC/USD through Polymarket's real-time data socket (topic `crypto_prices_chainlink`): one
/// oracle tick per observation, `payload.timestamp` (observation time, ms) as venue time, `value` as the
/// price and `full_accuracy_value` (18-decimal fixed point) as `exact`. The connect-time history snapshot
/// (`payload.data`) is decoded too, so a reconnect near a window boundary keeps the open.
public struct ChainlinkAdapter: VenueAdapter {
    public let source = SourceID.chainlink
    public let defaultEndpoint = "wss://ws-live-data.polymarket.com"
    /// Text `PING` every 5 s; Chainlink prints about once a second.
    public let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text("PING"), interval: .seconds(5)), dataTimeout: .seconds(15))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        // BTC-USD → btc/usd
        symbols = SymbolTable(instruments) { "\($0.base.lowercased())/\($0.quote.lowercased())" }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let subscriptions = symbols.instruments.map { instrument in
            let symbol = "\(instrument.base.lowercased())/\(instrument.quote.lowercased())"
            return #"{"topic":"crypto_prices_chainlink","type":"*","filters":"{\"symbol\":\"\#(symbol)\"}"}"#
        }
        return [.text(#"{"action":"subscribe","subscriptions":[\#(subscriptions.joined(separator: ","))]}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let trimmed = frame.bytes.filter { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if trimmed.isEmpty { return [.heartbeat] }
        if trimmed == Array("PONG".utf8) || trimmed == Array("pong".utf8) { return [.pong] }
        let root = try parseJSON(frame).root
        let messages = root.kind == .array ? root.elements : [root]
        var events: [VenueEvent] = []
        for message in messages {
            guard message.kind == .object else { throw fail("message is not an object") }
            if let topic = message["topic"], !topic.stringEquals("crypto_prices_chainlink") {
                throw fail("unexpected topic '\(topic.string ?? "?")'")
            }
            guard let payload = message["payload"] else {
                if let error = message["error"] ?? message["message"] { return [.rejected(error.string ?? "error")] }
                throw fail("field 'payload' missing")
            }
            guard let symbol = payload["symbol"]?.string, let instrument = symbols.instrument(for: symbol) else {
                throw fail("missing or unsubscribed symbol")
            }
            if let history = payload["data"] {  // connect-time snapshot
                for point in history.elements {
                    events.append(.tick(try tick(point, symbol: symbol, instrument: instrument, receiveTime: receiveTime)))
                }
            } else {
                events.append(.tick(try tick(payload, symbol: symbol, instrument: instrument, receiveTime: receiveTime)))
            }
        }
        return events
    }

    private func tick(_ point: JSONValue, symbol: String, instrument: Instrument, receiveTime: Int64) throws(VenueDecodeError) -> Tick {
        Tick(
            source: source, instrument: instrument, venueSymbol: symbol, kind: .oracle,
            last: try decimal(point["value"], "value"),
            exact: point["full_accuracy_value"]?.string,
            venueTime: try milliseconds(point["timestamp"], "timestamp"), receiveTime: receiveTime)
    }
}
