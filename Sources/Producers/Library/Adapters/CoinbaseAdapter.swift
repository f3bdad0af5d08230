public import TickbusMarket

/// Coinbase Exchange: the `ticker` channel (best bid/ask with sizes and the last trade, per match, `time`
/// in ISO-8601 µs) plus `heartbeat` for liveness. One tick per ticker message: kind `quote` with `last` set.
/// `match`/`last_match` (the `matches` channel, in recorded data) are trades at their `time`.
public struct CoinbaseAdapter: VenueAdapter {
    public let source = SourceID.coinbase
    public let defaultEndpoint = "wss://ws-feed.exchange.coinbase.com"
    /// Ticker only moves on trades, so allow quiet minutes; the heartbeat channel proves liveness.
    public let heartbeat = HeartbeatRule(keepalive: .heartbeatChannel, dataTimeout: .seconds(120))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { $0.description }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let products = symbols.instruments.map { "\"\($0.description)\"" }.joined(separator: ",")
        return [.text(#"{"type":"subscribe","product_ids":[\#(products)],"channels":["ticker","heartbeat"]}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let message = try parseJSON(frame).root
        guard let type = message["type"] else { throw fail("field 'type' missing") }
        if type.stringEquals("ticker") {
            guard let symbol = message["product_id"]?.string else { throw fail("field 'product_id' missing") }
            guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed product '\(symbol)'") }
            guard let timeBytes = message["time"]?.rawBytes, let time = ISO8601Microseconds.parse(timeBytes) else {
                throw fail("field 'time' missing or not ISO-8601")
            }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(message["best_bid"], "best_bid"), bidSize: message["best_bid_size"]?.decimal,
                ask: try decimal(message["best_ask"], "best_ask"), askSize: message["best_ask_size"]?.decimal,
                last: message["price"]?.decimal,
                venueTime: time, receiveTime: receiveTime))]
        }
        if type.stringEquals("heartbeat") { return [.heartbeat] }
        // The `matches` channel (not subscribed; recorded data): one trade each, `last_match` first.
        if type.stringEquals("match") || type.stringEquals("last_match") {
            guard let symbol = message["product_id"]?.string else { throw fail("field 'product_id' missing") }
            guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed product '\(symbol)'") }
            guard let timeBytes = message["time"]?.rawBytes, let time = ISO8601Microseconds.parse(timeBytes) else {
                throw fail("field 'time' missing or not ISO-8601")
            }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                last: try decimal(message["price"], "price"), venueTime: time, receiveTime: receiveTime))]
        }
        if type.stringEquals("subscriptions") {
            let channels = message["channels"]?.elements.compactMap { $0["name"]?.string ?? $0.string } ?? []
            return [.subscribed(channels.joined(separator: ","))]
        }
        if type.stringEquals("error") {
            return [.rejected("\(message["message"]?.string ?? "error"): \(message["reason"]?.string ?? "")")]
        }
        throw fail("unexpected type '\(type.string ?? "?")'")
    }
}
