public import TickbusMarket

/// Bitget v2 spot: `books1` (best bid/ask, 20 ms for BTCUSDT, `ts` ms string) and `trade` (the first
/// `snapshot` push replays history and is skipped; `update` rows are live). Text `ping` → `pong`; the
/// venue closes every connection after 24 h.
public struct BitgetAdapter: VenueAdapter {
    public let source = SourceID.bitget
    public let defaultEndpoint = "wss://ws.bitget.com/v2/ws/public"
    public let heartbeat = HeartbeatRule(
        keepalive: .clientFrame(.text("ping"), interval: .seconds(25)), dataTimeout: .seconds(30),
        plannedReconnect: .seconds(23 * 3600 + 50 * 60))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { $0.base + $0.quote }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let args = symbols.instruments.flatMap { instrument in
            ["books1", "trade"].map { #"{"instType":"SPOT","channel":"\#($0)","instId":"\#(instrument.base)\#(instrument.quote)"}"# }
        }
        return [.text(#"{"op":"subscribe","args":[\#(args.joined(separator: ","))]}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        if frame.bytes == Array("pong".utf8) { return [.pong] }
        let message = try parseJSON(frame).root
        if let data = message["data"] {
            guard let argument = message["arg"], let channel = argument["channel"]?.string else { throw fail("field 'arg.channel' missing") }
            guard let symbol = argument["instId"]?.string, let instrument = symbols.instrument(for: symbol) else {
                throw fail("missing or unsubscribed instId")
            }
            var events: [VenueEvent] = []
            switch channel {
            case "books1":
                for book in data.elements {
                    let bid = book["bids"]?[0], ask = book["asks"]?[0]
                    guard bid != nil || ask != nil else { throw fail("books1 without bids and asks") }
                    events.append(.tick(Tick(
                        source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                        bid: try bid.map { row throws(VenueDecodeError) in try decimal(row[0], "bids[0][0]") },
                        bidSize: bid?[1]?.decimal,
                        ask: try ask.map { row throws(VenueDecodeError) in try decimal(row[0], "asks[0][0]") },
                        askSize: ask?[1]?.decimal,
                        venueTime: try milliseconds(book["ts"], "ts"), receiveTime: receiveTime)))
                }
            case "trade":
                guard message["action"]?.string != "snapshot" else { return [.heartbeat] }  // history replay
                for trade in data.elements {
                    events.append(.tick(Tick(
                        source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                        last: try decimal(trade["price"], "price"),
                        venueTime: try milliseconds(trade["ts"], "ts"), receiveTime: receiveTime)))
                }
            default:
                throw fail("unexpected channel '\(channel)'")
            }
            return events
        }
        guard let event = message["event"]?.string else { throw fail("neither data nor event") }
        switch event {
        case "subscribe": return [.subscribed("\(message["arg"]?["channel"]?.string ?? "?") \(message["arg"]?["instId"]?.string ?? "")")]
        case "error": return [.rejected("code \(message["code"]?.int64 ?? 0): \(message["msg"]?.string ?? "")")]
        default: throw fail("unexpected event '\(event)'")
        }
    }
}
