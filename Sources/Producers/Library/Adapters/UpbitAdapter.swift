public import TickbusMarket

/// Upbit (Korea, KRW markets): `orderbook` limited to one level (`KRW-BTC.1`) for best bid/ask and `trade`
/// for the last price, BTC-KRW plus the FX leg USDT-KRW. Data arrives in binary frames holding UTF-8 JSON;
/// prices are JSON numbers (`148520000.0`), kept as sent. There is no subscription acknowledgement (data
/// simply starts); errors come as `{"error":{"name":…,"message":…}}`. Keepalive: text `PING` every 60 s,
/// answered with `{"status":"UP"}` (the server cuts connections idle for ~120 s).
///
/// Recorded data in the `SIMPLE` format (abbreviated keys), the `…_LIST` formats (arrays of messages) and
/// `ticker` messages (last price, no bid/ask: a trade tick) decode too.
///
/// Venue time is the message `timestamp` (ms) for every type: `trade_timestamp` has whole-second
/// resolution in every recording seen, which would make trades look up to a second older than they are.
public struct UpbitAdapter: VenueAdapter {
    public let source = SourceID.upbit
    public let defaultEndpoint = "wss://api.upbit.com/websocket/v1"
    public let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text("PING"), interval: .seconds(60)), dataTimeout: .seconds(30))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        // BTC-KRW → KRW-BTC (quote first)
        symbols = SymbolTable(instruments) { "\($0.quote)-\($0.base)" }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        subscribeFrames(at: 0)
    }

    /// One request replaces the connection's subscriptions, so both types go in one frame; the ticket is
    /// unique per connection.
    public func subscribeFrames(at time: Int64) -> [WebSocketFrame] {
        let codes = symbols.instruments.map { "\"\($0.quote)-\($0.base)\"" }
        let books = symbols.instruments.map { "\"\($0.quote)-\($0.base).1\"" }
        return [.text(#"[{"ticket":"tickbus-\#(time)"},{"type":"orderbook","codes":[\#(books.joined(separator: ","))]},"#
            + #"{"type":"trade","codes":[\#(codes.joined(separator: ","))],"is_only_realtime":true},{"format":"DEFAULT"}]"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let message = try parseJSON(frame).root
        // SIMPLE_LIST and DEFAULT_LIST put the messages of one push in an array.
        if message.kind == .array {
            var events: [VenueEvent] = []
            for element in message.elements { events += try decodeMessage(element, receiveTime: receiveTime) }
            return events
        }
        return try decodeMessage(message, receiveTime: receiveTime)
    }

    private func decodeMessage(_ message: JSONValue, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        guard message.kind == .object else { throw fail("message is not an object") }
        if let type = message["type"] { return try decodeData(message, type: type, keys: .default, receiveTime: receiveTime) }
        // The SIMPLE format: the same messages with abbreviated keys (`ty`, `cd`, `tms`, `obu`…).
        if let type = message["ty"] { return try decodeData(message, type: type, keys: .simple, receiveTime: receiveTime) }
        if let status = message["status"] {
            guard status.stringEquals("UP") else { throw fail("unexpected status '\(status.string ?? "?")'") }
            return [.pong]
        }
        if let error = message["error"] {
            return [.rejected("\(error["name"]?.string ?? "error"): \(error["message"]?.string ?? "")")]
        }
        throw fail("field 'type' missing")
    }

    /// `orderbook` (best bid/ask from the first unit), `trade` and `ticker` (last price `trade_price`; the
    /// ticker has no bid or ask).
    private func decodeData(_ message: JSONValue, type: JSONValue, keys: Keys, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        guard let code = message[keys.code]?.string, let instrument = symbols.instrument(for: code) else {
            throw fail("missing or unsubscribed code")
        }
        guard let time = Self.venueTime(message[keys.timestamp]) else { throw fail("field '\(keys.timestamp)' missing or not a time") }
        if type.stringEquals("orderbook") {
            guard let best = message[keys.units]?[0] else { throw fail("field '\(keys.units)' missing or empty") }
            // An empty side comes as price 0.
            let bid = best[keys.bidPrice]?.decimal.flatMap { $0.doubleValue > 0 ? $0 : nil }
            let ask = best[keys.askPrice]?.decimal.flatMap { $0.doubleValue > 0 ? $0 : nil }
            guard bid != nil || ask != nil else { throw fail("orderbook without a price on either side") }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: code, kind: .quote,
                bid: bid, bidSize: bid == nil ? nil : best[keys.bidSize]?.decimal,
                ask: ask, askSize: ask == nil ? nil : best[keys.askSize]?.decimal,
                venueTime: time, receiveTime: receiveTime))]
        }
        if type.stringEquals("trade") || type.stringEquals("ticker") {
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: code, kind: .trade,
                last: try decimal(message[keys.tradePrice], keys.tradePriceName), venueTime: time, receiveTime: receiveTime))]
        }
        throw fail("unexpected type '\(type.string ?? "?")'")
    }

    /// The keys of the fields read, in the DEFAULT and the SIMPLE format (Upbit's WebSocket reference lists
    /// each field with its abbreviation).
    struct Keys {
        var code, timestamp, units, bidPrice, bidSize, askPrice, askSize, tradePrice: StaticString
        /// `tradePrice` as a String for errors, a literal so a trade builds no string.
        var tradePriceName: String

        static let `default` = Keys(code: "code", timestamp: "timestamp", units: "orderbook_units", bidPrice: "bid_price",
                                    bidSize: "bid_size", askPrice: "ask_price", askSize: "ask_size", tradePrice: "trade_price",
                                    tradePriceName: "trade_price")
        static let simple = Keys(code: "cd", timestamp: "tms", units: "obu", bidPrice: "bp", bidSize: "bs",
                                 askPrice: "ap", askSize: "as", tradePrice: "tp", tradePriceName: "tp")
    }

    /// ms, or µs when above 10^15 (one recorded USDT market orderbook carried µs).
    static func venueTime(_ value: JSONValue?) -> Int64? {
        guard let number = value?.int64, number > 0 else { return nil }
        if number > 1_000_000_000_000_000 { return number }
        guard number < Int64.max / 1000 else { return nil }
        return number * 1000
    }
}
