public import TickbusMarket

/// The adapters this build implements, and each source's default instruments (ARCHITECTURE §2).
public enum Adapters {
    public static let implemented: [SourceID] = [.binance, .coinbase, .okx, .chainlink, .bybit, .bitget, .gate, .upbit, .htx, .kucoin, .mexc, .binanceRTDS]

    public static func defaultInstruments(for source: SourceID) -> [Instrument] {
        source.defaultInstruments
    }

    /// The adapter of `source`, or `nil` when this build has none yet.
    public static func make(_ source: SourceID, instruments: [Instrument]) -> (any VenueAdapter)? {
        switch source {
        case .binance: BinanceAdapter(instruments: instruments)
        case .coinbase: CoinbaseAdapter(instruments: instruments)
        case .okx: OKXAdapter(instruments: instruments)
        case .chainlink: ChainlinkAdapter(instruments: instruments)
        case .bybit: BybitAdapter(instruments: instruments)
        case .bitget: BitgetAdapter(instruments: instruments)
        case .gate: GateAdapter(instruments: instruments)
        case .upbit: UpbitAdapter(instruments: instruments)
        case .htx: HTXAdapter(instruments: instruments)
        case .kucoin: KuCoinAdapter(instruments: instruments)
        case .mexc: MEXCAdapter(instruments: instruments)
        case .binanceRTDS: BinanceRTDSAdapter(instruments: instruments)
        }
    }
}
