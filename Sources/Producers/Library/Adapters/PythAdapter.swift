public import TickbusMarket

/// Pyth's BTC/USD as PolyBolt serves it (docs/relays.md): channel `price.crypto` pinned to
/// `"provider":"pyth"` — what Polymarket shows as its live price when it serves Pyth. Informational: no
/// market resolves on it. Only frames whose payload names `source: "pyth"` are kept, so a server that
/// ignores the pin and serves Chainlink leaves this source empty and says why in `events.status`.
public struct PythAdapter: PolymarketRelayedAdapter {
    public let source = SourceID.pyth
    let transport: PolymarketTransport

    public init(instruments: [Instrument], credentials: PolymarketCredentials) {
        transport = .polybolt(PolyBoltMessages(
            channel: "price.crypto", expectedSource: "pyth", provider: "pyth", windowSeconds: nil,
            symbols: SymbolTable(instruments) { PolyBoltMessages.symbol($0) }, credentials: credentials))
    }
}
