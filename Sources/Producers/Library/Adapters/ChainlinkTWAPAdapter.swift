public import TickbusMarket

/// Chainlink's TWAP of BTC/USD (docs/relays.md), what Polymarket's Up/Down markets resolve on since
/// 2026-08-07: the price to beat is the report at the window's start, the final the one at its end. A
/// rolling 60 s average anchored at each observation, about one report a second.
///
/// Over PolyBolt: channel `price.crypto.twap`, filter `{"symbol":"btcusd","window_seconds":60}`; payloads of
/// another source or window are dropped and reported. Over RTDS (deprecated): topic
/// `crypto_prices_twap_sixty` (or `_thirty` for a 30 s window), filters as a compact JSON string; the other
/// window's topic is recognised and dropped, never stored as this source.
public struct ChainlinkTWAPAdapter: PolymarketRelayedAdapter {
    public let source = SourceID.chainlinkTWAP
    let transport: PolymarketTransport
    public let windowSeconds: Int

    /// The windows RTDS has topics for.
    public static let windows = [60, 30]

    /// Over RTDS (no credentials).
    public init(instruments: [Instrument], windowSeconds: Int = 60) {
        self.windowSeconds = windowSeconds
        let symbols = SymbolTable(instruments) { ChainlinkAdapter.rtdsSymbol($0) }
        let (topic, other): (StaticString, StaticString) = windowSeconds == 30
            ? ("crypto_prices_twap_thirty", "crypto_prices_twap_sixty")
            : ("crypto_prices_twap_sixty", "crypto_prices_twap_thirty")
        let subscriptions = instruments.map { instrument in
            #"{"topic":"\#(topic)","type":"update","filters":"{\"symbol\":\"\#(ChainlinkAdapter.rtdsSymbol(instrument))\"}"}"#
        }
        var messages = RTDSMessages(topic: topic, symbols: symbols)
        messages.otherSeries = [other]
        transport = .rtds(messages, subscribe: RTDSMessages.subscribeFrame(subscriptions))
    }

    /// Over PolyBolt with the user's credentials.
    public init(instruments: [Instrument], credentials: PolymarketCredentials, windowSeconds: Int = 60) {
        self.windowSeconds = windowSeconds
        transport = .polybolt(PolyBoltMessages(
            channel: "price.crypto.twap", expectedSource: "chainlink", provider: nil, windowSeconds: windowSeconds,
            symbols: SymbolTable(instruments) { PolyBoltMessages.symbol($0) }, credentials: credentials))
    }
}
