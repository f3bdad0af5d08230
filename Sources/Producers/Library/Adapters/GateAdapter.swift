public import TickbusMarket

/// Gate v4 spot: `spot.book_ticker` (best bid/ask every 10 ms, book time `t` ms) and `spot.trades`
/// (`create_time_ms` is a decimal string such as "1606292218213.4578", converted to µs exactly). The
/// server keeps the connection alive with protocol pings; `spot.pong` answers are recognised.
public struct GateAdapter: VenueAdapter {
    public let source = SourceID.gate
    public let defaultEndpoint = "wss://api.gateio.ws/ws/v4/"
    public let heartbeat = HeartbeatRule(keepalive: .serverPings, dataTimeout: .seconds(30))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { "\($0.base)_\($0.quote)" }
    }

    /// Gate checks that `time` is within 60 s of its clock; the supervisor passes the connect time.
    public func subscribeFrames(at time: Int64) -> [WebSocketFrame] {
        let pairs = symbols.instruments.map { "\"\($0.base)_\($0.quote)\"" }.joined(separator: ",")
        return ["spot.book_ticker", "spot.trades"].map {
            .text(#"{"time":\#(time / 1_000_000),"channel":"\#($0)","event":"subscribe","payload":[\#(pairs)]}"#)
        }
    }

    public func subscribeFrames() -> [WebSocketFrame] { subscribeFrames(at: 0) }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let message = try parseJSON(frame).root
        guard let channel = message["channel"]?.string else { throw fail("field 'channel' missing") }
        if channel == "spot.pong" { return [.pong] }
        let event = message["event"]?.string ?? ""
        if event == "subscribe" {
            if let error = message["error"], !error.isNull {
                return [.rejected("\(channel) code \(error["code"]?.int64 ?? 0): \(error["message"]?.string ?? "")")]
            }
            return [.subscribed(channel)]
        }
        guard event == "update", let result = message["result"] else { throw fail("unexpected event '\(event)' on \(channel)") }
        switch channel {
        case "spot.book_ticker":
            let (symbol, instrument) = try resolve(result["s"])
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(result["b"], "b"), bidSize: result["B"]?.decimal,
                ask: try decimal(result["a"], "a"), askSize: result["A"]?.decimal,
                venueTime: try milliseconds(result["t"], "t"), receiveTime: receiveTime))]
        case "spot.trades":
            let (symbol, instrument) = try resolve(result["currency_pair"])
            guard let time = result["create_time_ms"]?.rawBytes.flatMap(Self.microseconds(fromMilliseconds:)) else {
                throw fail("field 'create_time_ms' missing or not a decimal")
            }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                last: try decimal(result["price"], "price"), venueTime: time, receiveTime: receiveTime))]
        default:
            throw fail("unexpected channel '\(channel)'")
        }
    }

    /// "1606292218213.4578" (ms with a fraction) → 1606292218213457 µs, digits beyond µs truncated.
    static func microseconds(fromMilliseconds text: ArraySlice<UInt8>) -> Int64? {
        var whole: Int64 = 0, micros: Int64 = 0, scale: Int64 = 100
        var afterPoint = false, digits = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard !afterPoint, digits > 0 else { return nil }
                afterPoint = true
                continue
            }
            guard (48...57).contains(byte) else { return nil }
            let digit = Int64(byte - 48)
            if afterPoint {
                micros += digit * scale
                scale /= 10
            } else {
                guard whole < Int64.max / 10_000 else { return nil }
                whole = whole * 10 + digit
                digits += 1
            }
        }
        guard digits > 0 else { return nil }
        return whole * 1000 + micros
    }

    private func resolve(_ value: JSONValue?) throws(VenueDecodeError) -> (String, Instrument) {
        guard let symbol = value?.string else { throw fail("symbol field missing") }
        guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed pair '\(symbol)'") }
        return (symbol, instrument)
    }
}
