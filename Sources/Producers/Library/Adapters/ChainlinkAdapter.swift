public import TickbusMarket

/// Chainlink BTC/USD through Polymarket's real-time data socket (topic `crypto_prices_chainlink`): one
/// oracle tick per observation, `payload.timestamp` (observation time, ms) as venue time, `value` as the
/// price and `full_accuracy_value` (18-decimal fixed point) as `exact`. Message shapes, keepalive and the
/// connect-time snapshot are those of every RTDS price topic (``RTDSMessages``).
public struct ChainlinkAdapter: VenueAdapter {
    public let source = SourceID.chainlink
    public let defaultEndpoint = RTDSMessages.endpoint
    /// Text `PING` every 5 s; Chainlink prints about once a second.
    public let heartbeat = RTDSMessages.heartbeat
    let messages: RTDSMessages
    public var instruments: [Instrument] { messages.symbols.instruments }

    public init(instruments: [Instrument]) {
        // BTC-USD → btc/usd
        messages = RTDSMessages(topic: "crypto_prices_chainlink", symbols: SymbolTable(instruments) { Self.symbol($0) })
    }

    static func symbol(_ instrument: Instrument) -> String { "\(instrument.base.lowercased())/\(instrument.quote.lowercased())" }

    /// One subscription per symbol: the Chainlink topic filters by a JSON string `{"symbol":"btc/usd"}`.
    public func subscribeFrames() -> [WebSocketFrame] {
        [RTDSMessages.subscribeFrame(instruments.map { instrument in
            #"{"topic":"crypto_prices_chainlink","type":"*","filters":"{\"symbol\":\"\#(Self.symbol(instrument))\"}"}"#
        })]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        try messages.decode(frame, receiveTime: receiveTime, for: self)
    }
}
