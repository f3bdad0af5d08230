public import TickbusMarket

/// Binance spot: `<symbol>@bookTicker` (best bid/ask, no venue time) and `<symbol>@trade` (time `T`, ms),
/// subscribed with one SUBSCRIBE request on `/ws`; the combined-stream wrapper is accepted too, and so is
/// `<symbol>@aggTrade` (recorded data; a trade at `T`).
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

    /// Every Binance frame is exactly one event. Data frames are flat objects of one-letter keys, read
    /// without a parse tape (``JSONFlatObject``); the rest (the combined-stream wrapper, replies, errors,
    /// malformed frames) through ``JSONDocument``. Both paths build ticks with ``tickEvent(_:in:receiveTime:)``.
    private func decodeOne(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> VenueEvent {
        try frame.bytes.withUnsafeBufferPointer { bytes throws(VenueDecodeError) in
            var fields = DataFields()
            if JSONFlatObject.scan(bytes, { fields.set(keyLength: $0.key.count, first: bytes[$0.key.lowerBound], kind: $0.kind, raw: $0.rawRange) }),
               let event = try tickEvent(fields, in: bytes, receiveTime: receiveTime) {
                return event
            }
            return try decodeGeneral(frame, bytes, receiveTime: receiveTime)
        }
    }

    private func decodeGeneral(_ frame: WebSocketFrame, _ bytes: UnsafeBufferPointer<UInt8>, receiveTime: Int64) throws(VenueDecodeError) -> VenueEvent {
        let document = try parseJSON(frame)
        var message = document.root
        guard message.kind == .object else { throw fail("not a JSON object") }
        if message["stream"] != nil, let data = message["data"] { message = data }

        var fields = DataFields()
        message.forEachMember { key, value in
            fields.set(keyLength: key.count, first: key.first ?? 0, kind: value.kind, raw: value.rawRange)
        }
        if let event = try tickEvent(fields, in: bytes, receiveTime: receiveTime) { return event }
        if let type = message["e"] {
            if type.stringEquals("serverShutdown") { return .reconnectRequested("serverShutdown") }
            throw fail("unexpected event type '\(type.string ?? "?")'")
        }
        guard fields.other else { throw fail("unrecognised message") }
        if let result = message["result"], let id = message["id"] {
            return .subscribed(result.isNull ? "SUBSCRIBE id \(id.int64 ?? 0)" : "reply \(id.int64 ?? 0)")
        }
        if let error = message["error"] ?? (message["code"] != nil ? message : nil) {
            return .rejected("code \(error["code"]?.int64 ?? 0): \(error["msg"]?.string ?? "")")
        }
        throw fail("unrecognised message")
    }

    /// The tick of a bookTicker or trade message, `nil` for any other message.
    private func tickEvent(_ fields: DataFields, in bytes: UnsafeBufferPointer<UInt8>, receiveTime: Int64) throws(VenueDecodeError) -> VenueEvent? {
        func raw(_ field: DataFields.Field?) -> UnsafeBufferPointer<UInt8>? {
            field?.raw.map { UnsafeBufferPointer(rebasing: bytes[$0]) }
        }
        func resolve(_ field: DataFields.Field?) throws(VenueDecodeError) -> (String, Instrument) {
            guard let symbol = raw(field), field?.kind == .string else { throw fail("field 's' missing") }
            guard let match = symbols.lookup(symbol) else { throw fail("unsubscribed symbol '\(String(decoding: symbol, as: UTF8.self))'") }
            return match
        }
        if fields.u != nil, let bid = fields.b {  // bookTicker
            let (symbol, instrument) = try resolve(fields.s)
            return .tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(raw(bid), "b"), bidSize: try decimal(raw(fields.bidSize), "B"),
                ask: try decimal(raw(fields.a), "a"), askSize: try decimal(raw(fields.askSize), "A"),
                venueTime: nil, receiveTime: receiveTime))
        }
        // `aggTrade` (fills of one taker order at one price; not subscribed, decoded for recorded data) has
        // the same `s`, `p` and `T`; its `a` is the aggregate id, not an ask, and it has no `u`.
        if let type = fields.e, type.kind == .string, let name = raw(type),
           name.elementsEqual("trade".utf8) || name.elementsEqual("aggTrade".utf8) {
            let (symbol, instrument) = try resolve(fields.s)
            return .tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                last: try decimal(raw(fields.p), "p"),
                venueTime: try milliseconds(raw(fields.t), "T"), receiveTime: receiveTime))
        }
        return nil
    }
}

/// The members of Binance's data messages, every one a one-letter key (last occurrence wins).
private struct DataFields {
    struct Field {
        var kind: JSONDocument.Kind
        /// The value's bytes when a number or an unescaped string.
        var raw: Range<Int>?
    }

    var u, s, b, bidSize, a, askSize, e, p, t: Field?
    /// A member whose key is not one letter (`result`, `id`, `error`, `stream`…).
    var other = false

    /// A member whose raw key (escapes not decoded) is `keyLength` bytes long and starts with `first`.
    mutating func set(keyLength: Int, first: UInt8, kind: JSONDocument.Kind, raw: Range<Int>?) {
        guard keyLength == 1 else { other = true; return }
        let field = Field(kind: kind, raw: raw)
        switch first {
        case UInt8(ascii: "u"): u = field
        case UInt8(ascii: "s"): s = field
        case UInt8(ascii: "b"): b = field
        case UInt8(ascii: "B"): bidSize = field
        case UInt8(ascii: "a"): a = field
        case UInt8(ascii: "A"): askSize = field
        case UInt8(ascii: "e"): e = field
        case UInt8(ascii: "p"): p = field
        case UInt8(ascii: "T"): t = field
        default: break
        }
    }
}
