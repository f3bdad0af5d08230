public import TickbusMarket

/// Binance spot: `<symbol>@bookTicker` (best bid/ask, no venue time) and `<symbol>@trade` (time `T`, ms),
/// subscribed with one SUBSCRIBE request on `/ws`; the combined-stream wrapper is accepted too.
public struct BinanceAdapter: VenueAdapter {
    public let source = SourceID.binance
    public let defaultEndpoint = "wss://stream.binance.com:9443/ws"
    /// Server pings every 20 s; connections live at most 24 h, so reconnect a little before.
    public let heartbeat = HeartbeatRule(keepalive: .serverPings, dataTimeout: .seconds(30), plannedReconnect: .seconds(23 * 3600 + 50 * 60))
    let symbols: SymbolTable

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
        let document = try parseJSON(frame)
        var message = document.root
        guard message.kind == .object else { throw fail("not a JSON object") }
        if let data = message["data"], message["stream"] != nil { message = data }

        if message["u"] != nil, message["b"] != nil {  // bookTicker
            let (symbol, instrument) = try resolve(message["s"])
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(message["b"], "b"), bidSize: try decimal(message["B"], "B"),
                ask: try decimal(message["a"], "a"), askSize: try decimal(message["A"], "A"),
                venueTime: nil, receiveTime: receiveTime))]
        }
        if let type = message["e"] {
            if type.stringEquals("trade") {
                let (symbol, instrument) = try resolve(message["s"])
                return [.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(message["p"], "p"),
                    venueTime: try milliseconds(message["T"], "T"), receiveTime: receiveTime))]
            }
            if type.stringEquals("serverShutdown") { return [.reconnectRequested("serverShutdown")] }
            throw fail("unexpected event type '\(type.string ?? "?")'")
        }
        if message["result"] != nil, message["id"] != nil {
            guard message["result"]!.isNull else { return [.subscribed("reply \(message["id"]!.int64 ?? 0)")] }
            return [.subscribed("SUBSCRIBE id \(message["id"]!.int64 ?? 0)")]
        }
        if let error = message["error"] ?? (message["code"] != nil ? message : nil) {
            return [.rejected("code \(error["code"]?.int64 ?? 0): \(error["msg"]?.string ?? "")")]
        }
        throw fail("unrecognised message")
    }

    private func resolve(_ value: JSONValue?) throws(VenueDecodeError) -> (String, Instrument) {
        guard let symbol = value?.string else { throw fail("field 's' missing") }
        guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed symbol '\(symbol)'") }
        return (symbol, instrument)
    }
}
