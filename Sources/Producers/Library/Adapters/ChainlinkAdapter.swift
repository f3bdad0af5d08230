public import TickbusMarket

/// Chainlink **spot** BTC/USD (docs/relays.md), the series the Up/Down markets resolved on until 2026-08-07;
/// informational since. Over RTDS: topic `crypto_prices_chainlink`, symbol `btc/usd`, `full_accuracy_value`
/// an E18 integer. Over PolyBolt: channel `price.crypto` pinned to `"provider":"chainlink"`, and only frames
/// whose payload names `source: "chainlink"` are kept (the channel may serve Pyth).
public struct ChainlinkAdapter: PolymarketRelayedAdapter {
    public let source = SourceID.chainlink
    let transport: PolymarketTransport

    /// Over RTDS (no credentials).
    public init(instruments: [Instrument]) {
        let symbols = SymbolTable(instruments) { Self.rtdsSymbol($0) }
        let subscriptions = instruments.map { instrument in
            #"{"topic":"crypto_prices_chainlink","type":"*","filters":"{\"symbol\":\"\#(Self.rtdsSymbol(instrument))\"}"}"#
        }
        transport = .rtds(RTDSMessages(topic: "crypto_prices_chainlink", symbols: symbols),
                          subscribe: RTDSMessages.subscribeFrame(subscriptions))
    }

    /// Over PolyBolt with the user's credentials.
    public init(instruments: [Instrument], credentials: PolymarketCredentials) {
        transport = .polybolt(PolyBoltMessages(
            channel: "price.crypto", expectedSource: "chainlink", provider: "chainlink", windowSeconds: nil,
            symbols: SymbolTable(instruments) { PolyBoltMessages.symbol($0) }, credentials: credentials))
    }

    /// BTC-USD → `btc/usd`.
    static func rtdsSymbol(_ instrument: Instrument) -> String { "\(instrument.base.lowercased())/\(instrument.quote.lowercased())" }
}
