public import TickbusMarket

/// Bybit v5 spot: `orderbook.1.<SYMBOL>` (best bid/ask snapshots every 10 ms; matching-engine time `cts`,
/// else message time `ts`) and `publicTrade.<SYMBOL>` (fill time `T`). Keepalive `{"op":"ping"}`. Spot
/// `tickers.<SYMBOL>` (recorded data) has a last price and no bid/ask: a trade tick at the message `ts`.
public struct BybitAdapter: VenueAdapter {
    public let source = SourceID.bybit
    public let defaultEndpoint = "wss://stream.bybit.com/v5/public/spot"
    public let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text(#"{"op":"ping"}"#), interval: .seconds(20)), dataTimeout: .seconds(30))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { $0.base + $0.quote }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        // At most 10 args per request on spot.
        let topics = symbols.instruments.flatMap { ["\"orderbook.1.\($0.base)\($0.quote)\"", "\"publicTrade.\($0.base)\($0.quote)\""] }
        return stride(from: 0, to: topics.count, by: 10).enumerated().map { index, start in
            let args = topics[start..<min(start + 10, topics.count)].joined(separator: ",")
            return .text(#"{"req_id":"sub\#(index + 1)","op":"subscribe","args":[\#(args)]}"#)
        }
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let message = try parseJSON(frame).root
        guard message.kind == .object else { throw fail("not a JSON object") }
        if let topic = message["topic"]?.string {
            guard let data = message["data"] else { throw fail("field 'data' missing") }
            if topic.hasPrefix("orderbook.1.") {
                let (symbol, instrument) = try resolve(data["s"])
                let bid = data["b"]?[0], ask = data["a"]?[0]
                guard bid != nil || ask != nil else { throw fail("orderbook.1 without bids and asks") }
                let time = message["cts"] ?? message["ts"]
                return [.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                    bid: try bid.map { row throws(VenueDecodeError) in try decimal(row[0], "b[0][0]") }, bidSize: bid?[1]?.decimal,
                    ask: try ask.map { row throws(VenueDecodeError) in try decimal(row[0], "a[0][0]") }, askSize: ask?[1]?.decimal,
                    venueTime: try milliseconds(time, "cts"), receiveTime: receiveTime))]
            }
            if topic.hasPrefix("publicTrade.") {
                var events: [VenueEvent] = []
                for trade in data.elements {
                    let (symbol, instrument) = try resolve(trade["s"])
                    events.append(.tick(Tick(
                        source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                        last: try decimal(trade["p"], "p"),
                        venueTime: try milliseconds(trade["T"], "T"), receiveTime: receiveTime)))
                }
                return events
            }
            // Spot `tickers` (not subscribed; recorded data): last price and 24 h stats, no bid or ask.
            if topic.hasPrefix("tickers.") {
                let (symbol, instrument) = try resolve(data["symbol"])
                return [.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(data["lastPrice"], "lastPrice"),
                    venueTime: try milliseconds(message["ts"], "ts"), receiveTime: receiveTime))]
            }
            throw fail("unexpected topic '\(topic)'")
        }
        if let success = message["success"]?.bool {
            let operation = message["op"]?.string ?? ""
            guard success else { return [.rejected("\(operation): \(message["ret_msg"]?.string ?? "")")] }
            return operation == "ping" || message["ret_msg"]?.string == "pong" ? [.pong] : [.subscribed(message["req_id"]?.string ?? operation)]
        }
        throw fail("unrecognised message")
    }

    private func resolve(_ value: JSONValue?) throws(VenueDecodeError) -> (String, Instrument) {
        guard let symbol = value?.string else { throw fail("field 's' (tickers: 'symbol') missing") }
        guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed symbol '\(symbol)'") }
        return (symbol, instrument)
    }
}
