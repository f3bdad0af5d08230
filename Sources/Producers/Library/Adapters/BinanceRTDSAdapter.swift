public import TickbusMarket

/// Binance BTC/USDT as Polymarket relays it on its real-time data socket (topic `crypto_prices`), the
/// reference of the hourly BTC Up/Down markets: one oracle tick per observation, `payload.timestamp`
/// (observation time, ms) as venue time and `value` as the price (`full_accuracy_value` as `exact` when
/// present). Message shapes, keepalive and the connect-time snapshot are those of every RTDS price topic
/// (``RTDSMessages``). Distinct from the `binance` source, which reads Binance's own socket.
public struct BinanceRTDSAdapter: VenueAdapter {
    public let source = SourceID.binanceRTDS
    public let defaultEndpoint = RTDSMessages.endpoint
    /// Text `PING` every 5 s, as for every RTDS topic.
    public let heartbeat = RTDSMessages.heartbeat
    public let relay: String? = "rtds"
    /// RTDS sends no subscription acknowledgement: data simply starts.
    public let acknowledgesSubscriptions = false
    let messages: RTDSMessages
    public var instruments: [Instrument] { messages.symbols.instruments }

    public init(instruments: [Instrument]) {
        // BTC-USDT → btcusdt
        messages = RTDSMessages(topic: "crypto_prices", symbols: SymbolTable(instruments) { Self.symbol($0) })
    }

    static func symbol(_ instrument: Instrument) -> String { (instrument.base + instrument.quote).lowercased() }

    /// One subscription for every symbol: this topic filters by a comma-separated list (`btcusdt,ethusdt`).
    public func subscribeFrames() -> [WebSocketFrame] {
        let filters = instruments.map(Self.symbol).joined(separator: ",")
        return [RTDSMessages.subscribeFrame([#"{"topic":"crypto_prices","type":"update","filters":"\#(filters)"}"#])]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        try decodeInFreshSession(frame, receiveTime: receiveTime)
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession,
                       into events: inout [VenueEvent]) throws(VenueDecodeError) {
        try messages.decode(frame, receiveTime: receiveTime, session: &session, into: &events, for: self)
    }
}
