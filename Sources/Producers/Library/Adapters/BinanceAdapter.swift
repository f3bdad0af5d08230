public import TickbusMarket

/// Binance spot: `<symbol>@bookTicker` (best bid/ask, no venue time) and `<symbol>@trade` (time `T`, ms),
/// subscribed with one SUBSCRIBE request on `/ws`; the combined-stream wrapper is accepted too.
public struct BinanceAdapter: VenueAdapter {
    public let source = SourceID.binance
    public let defaultEndpoint = "wss://stream.binance.com:9443/ws"
    /// Server pings every 20 s; connections live at most 24 h, so reconnect a little before.
    public let heartbeat = HeartbeatRule(keepalive: .serverPings, dataTimeout: .seconds(30), plannedReconnect: .seconds(23 * 3600 + 50 * 60))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { $0.base + $0.quote }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let streams = symbols.instruments.flatMap { instrument -> [String] in
            let symbol = (instrument.base + instrument.quote).lowercased()
            return ["\"\(symbol)@bookTicker\"", "\"\(symbol)@trade\""]
        }
        return [.text(#"{"method":"SUBSCRIBE","params":[\#(streams.joined(separator: ","))],"id":1}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        var events: [VenueEvent] = []
        try decode(frame, receiveTime: receiveTime, into: &events)
        return events
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64, into events: inout [VenueEvent]) throws(VenueDecodeError) {
        events.append(try decodeOne(frame, receiveTime: receiveTime))
    }

    /// Every Binance frame is exactly one event.
    private func decodeOne(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> VenueEvent {
        let document = try parseJSON(frame)
        var message = document.root
        guard message.kind == .object else { throw fail("not a JSON object") }
        if message["stream"] != nil, let data = message["data"] { message = data }

        // One pass over the members; every data field of bookTicker and trade is a one-letter key.
        var u, s, b, bidSize, a, askSize, e, p, t: JSONValue?
        var other = false
        message.forEachMember { key, value in
            guard key.count == 1 else { other = true; return }
            switch key.first! {
            case UInt8(ascii: "u"): u = value
            case UInt8(ascii: "s"): s = value
            case UInt8(ascii: "b"): b = value
            case UInt8(ascii: "B"): bidSize = value
            case UInt8(ascii: "a"): a = value
            case UInt8(ascii: "A"): askSize = value
            case UInt8(ascii: "e"): e = value
            case UInt8(ascii: "p"): p = value
            case UInt8(ascii: "T"): t = value
            default: break
            }
        }
        func field(_ letter: Unicode.Scalar) -> JSONValue? {
            switch letter {
            case "u": u
            case "s": s
            case "b": b
            case "B": bidSize
            case "a": a
            case "A": askSize
            case "e": e
            case "p": p
            case "T": t
            default: nil
            }
        }

        if field("u") != nil, field("b") != nil {  // bookTicker
            let (symbol, instrument) = try resolve(field("s"))
            return .tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(field("b"), "b"), bidSize: try decimal(field("B"), "B"),
                ask: try decimal(field("a"), "a"), askSize: try decimal(field("A"), "A"),
                venueTime: nil, receiveTime: receiveTime))
        }
        if let type = field("e") {
            if type.stringEquals("trade") {
                let (symbol, instrument) = try resolve(field("s"))
                return .tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(field("p"), "p"),
                    venueTime: try milliseconds(field("T"), "T"), receiveTime: receiveTime))
            }
            if type.stringEquals("serverShutdown") { return .reconnectRequested("serverShutdown") }
            throw fail("unexpected event type '\(type.string ?? "?")'")
        }
        guard other else { throw fail("unrecognised message") }
        if let result = message["result"], let id = message["id"] {
            return .subscribed(result.isNull ? "SUBSCRIBE id \(id.int64 ?? 0)" : "reply \(id.int64 ?? 0)")
        }
        if let error = message["error"] ?? (message["code"] != nil ? message : nil) {
            return .rejected("code \(error["code"]?.int64 ?? 0): \(error["msg"]?.string ?? "")")
        }
        throw fail("unrecognised message")
    }

    private func resolve(_ value: JSONValue?) throws(VenueDecodeError) -> (String, Instrument) {
        guard let bytes = value?.rawBytes, value?.kind == .string else { throw fail("field 's' missing") }
        guard let match = symbols.lookup(bytes) else { throw fail("unsubscribed symbol '\(value?.string ?? "")'") }
        return match
    }
}
