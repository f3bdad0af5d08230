public import TickbusMarket

/// Bitget spot, v3 (UTA) by default: `books1` (best bid/ask, 20 ms for BTCUSDT; rows `a`/`b`, `ts` ms string)
/// and `publicTrade` (short keys `p`, `v`, `S`, `T` ms string; the first `snapshot` push replays history and
/// is skipped, `update` rows are live), subscribed as `{"instType":"spot","topic":…,"symbol":…}`.
///
/// v2 (classic) frames decode too (recorded data: `arg.channel`/`arg.instId`, `books1` rows `asks`/`bids`,
/// `trade` rows `price`/`ts`), and an endpoint whose path has a `/v2/` segment (`--endpoint
/// wss://ws.bitget.com/v2/ws/public`) is subscribed in v2 form. `ticker` (v3 `lastPrice`/`bid1Price`/
/// `ask1Price`, envelope `ts`; v2 `lastPr`/`bidPr`/`askPr`, data `ts`) is decoded but not subscribed.
/// Text `ping` → `pong`; the venue closes every connection after 24 h.
public struct BitgetAdapter: VenueAdapter {
    /// The two public APIs' subscription forms.
    public enum APIVersion: Sendable, Hashable {
        case v2, v3
    }

    public let source = SourceID.bitget
    public let defaultEndpoint = "wss://ws.bitget.com/v3/ws/public"
    public let heartbeat = HeartbeatRule(
        keepalive: .clientFrame(.text("ping"), interval: .seconds(25)), dataTimeout: .seconds(30),
        plannedReconnect: .seconds(23 * 3600 + 50 * 60))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { $0.base + $0.quote }
    }

    /// v2 when the URL's path has a `v2` segment (`/v2/ws/public`, a venue-sim's `/bitget/v2`), else v3.
    public static func apiVersion(ofEndpoint endpoint: String) -> APIVersion {
        var path = Substring(endpoint)
        if let scheme = path.range(of: "://") { path = path[scheme.upperBound...] }
        path = path.drop { $0 != "/" }
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        return path.split(separator: "/").contains("v2") ? .v2 : .v3
    }

    /// The subscription follows the endpoint's API version (the plan carries it; the adapter keeps no state).
    public func prepareConnection(endpoint: String) async throws(ConnectionPreparationError) -> ConnectionPlan {
        ConnectionPlan(url: endpoint, heartbeat: heartbeat, subscriptions: subscribeFrames(version: Self.apiVersion(ofEndpoint: endpoint)))
    }

    /// The default endpoint's (v3) subscription.
    public func subscribeFrames() -> [WebSocketFrame] { subscribeFrames(version: .v3) }

    public func subscribeFrames(version: APIVersion) -> [WebSocketFrame] {
        let args = symbols.instruments.flatMap { instrument -> [String] in
            let symbol = instrument.base + instrument.quote
            return switch version {
            case .v3: ["books1", "publicTrade"].map { #"{"instType":"spot","topic":"\#($0)","symbol":"\#(symbol)"}"# }
            case .v2: ["books1", "trade"].map { #"{"instType":"SPOT","channel":"\#($0)","instId":"\#(symbol)"}"# }
            }
        }
        return [.text(#"{"op":"subscribe","args":[\#(args.joined(separator: ","))]}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        if frame.bytes == Array("pong".utf8) { return [.pong] }
        let message = try parseJSON(frame).root
        if let data = message["data"] {
            guard let argument = message["arg"] else { throw fail("field 'arg' missing") }
            if let topic = argument["topic"] {
                return try decodeV3(message, data: data, topic: topic, argument: argument, receiveTime: receiveTime)
            }
            return try decodeV2(message, data: data, argument: argument, receiveTime: receiveTime)
        }
        guard let event = message["event"]?.string else { throw fail("neither data nor event") }
        switch event {
        case "subscribe":
            let argument = message["arg"]
            let name = argument?["topic"]?.string ?? argument?["channel"]?.string ?? "?"
            return [.subscribed("\(name) \(argument?["symbol"]?.string ?? argument?["instId"]?.string ?? "")")]
        case "error": return [.rejected("code \(message["code"]?.int64 ?? 0): \(message["msg"]?.string ?? "")")]
        default: throw fail("unexpected event '\(event)'")
        }
    }

    /// v3: `arg.topic`, `arg.symbol`.
    private func decodeV3(_ message: JSONValue, data: JSONValue, topic: JSONValue, argument: JSONValue,
                          receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        guard let symbol = argument["symbol"]?.string, let instrument = symbols.instrument(for: symbol) else {
            throw fail("missing or unsubscribed symbol")
        }
        var events: [VenueEvent] = []
        if topic.stringEquals("books1") {
            for book in data.elements {
                events.append(.tick(try quote(book, bids: "b", asks: "a", names: ("b[0][0]", "a[0][0]"), symbol: symbol, instrument: instrument,
                                              time: book["ts"], receiveTime: receiveTime)))
            }
        } else if topic.stringEquals("publicTrade") {
            guard message["action"]?.string != "snapshot" else { return [.heartbeat] }  // history replay
            for trade in data.elements {
                events.append(.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(trade["p"], "p"),
                    venueTime: try milliseconds(trade["T"], "T"), receiveTime: receiveTime)))
            }
        } else if topic.stringEquals("ticker") {
            for ticker in data.elements {
                events.append(.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                    bid: try decimal(ticker["bid1Price"], "bid1Price"), bidSize: ticker["bid1Size"]?.decimal,
                    ask: try decimal(ticker["ask1Price"], "ask1Price"), askSize: ticker["ask1Size"]?.decimal,
                    last: ticker["lastPrice"]?.decimal,
                    // The spot ticker row has no time of its own: the envelope's (ms number).
                    venueTime: try milliseconds(ticker["ts"] ?? message["ts"], "ts"), receiveTime: receiveTime)))
            }
        } else {
            throw fail("unexpected topic '\(topic.string ?? "?")'")
        }
        return events
    }

    /// v2 (classic): `arg.channel`, `arg.instId`.
    private func decodeV2(_ message: JSONValue, data: JSONValue, argument: JSONValue,
                          receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        guard let channel = argument["channel"]?.string else { throw fail("field 'arg.channel' missing") }
        guard let symbol = argument["instId"]?.string, let instrument = symbols.instrument(for: symbol) else {
            throw fail("missing or unsubscribed instId")
        }
        var events: [VenueEvent] = []
        switch channel {
        case "books1":
            for book in data.elements {
                events.append(.tick(try quote(book, bids: "bids", asks: "asks", names: ("bids[0][0]", "asks[0][0]"), symbol: symbol, instrument: instrument,
                                              time: book["ts"], receiveTime: receiveTime)))
            }
        case "trade":
            guard message["action"]?.string != "snapshot" else { return [.heartbeat] }  // history replay
            for trade in data.elements {
                events.append(.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(trade["price"], "price"),
                    venueTime: try milliseconds(trade["ts"], "ts"), receiveTime: receiveTime)))
            }
        case "ticker":
            for ticker in data.elements {
                events.append(.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                    bid: try decimal(ticker["bidPr"], "bidPr"), bidSize: ticker["bidSz"]?.decimal,
                    ask: try decimal(ticker["askPr"], "askPr"), askSize: ticker["askSz"]?.decimal,
                    last: ticker["lastPr"]?.decimal,
                    venueTime: try milliseconds(ticker["ts"], "ts"), receiveTime: receiveTime)))
            }
        default:
            throw fail("unexpected channel '\(channel)'")
        }
        return events
    }

    /// A `books1` row: the first level of each side (one side may be empty, not both). `names` label the
    /// prices in errors (literals: nothing is built per frame).
    private func quote(_ book: JSONValue, bids: StaticString, asks: StaticString, names: (bid: String, ask: String),
                       symbol: String, instrument: Instrument,
                       time: JSONValue?, receiveTime: Int64) throws(VenueDecodeError) -> Tick {
        let bid = book[bids]?[0], ask = book[asks]?[0]
        guard bid != nil || ask != nil else { throw fail("books1 without \(bids) and \(asks)") }
        return Tick(
            source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
            bid: try bid.map { row throws(VenueDecodeError) in try decimal(row[0], names.bid) },
            bidSize: bid?[1]?.decimal,
            ask: try ask.map { row throws(VenueDecodeError) in try decimal(row[0], names.ask) },
            askSize: ask?[1]?.decimal,
            venueTime: try milliseconds(time, "ts"), receiveTime: receiveTime)
    }
}

