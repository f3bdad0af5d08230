public import TickbusMarket

/// The adapters this build implements, and each source's default instruments (docs/topics.md#sources).
public enum Adapters {
    public static let implemented: [SourceID] = [
        .binance, .coinbase, .okx, .chainlink, .bybit, .bitget, .gate, .upbit, .htx, .kucoin, .mexc, .binanceRTDS,
        .chainlinkTWAP, .pyth,
    ]

    public static func defaultInstruments(for source: SourceID) -> [Instrument] {
        source.defaultInstruments
    }

    /// The adapter of `source`, the Polymarket-relayed ones over the relay `relay` chooses (RTDS when there
    /// are no credentials); throws when the settings cannot work (pyth without credentials, a TWAP window RTDS
    /// has no topic for).
    public static func make(_ source: SourceID, instruments: [Instrument], relay settings: RelaySettings = RelaySettings())
        throws(RelaySettings.Invalid) -> any VenueAdapter {
        switch source {
        case .binance: return BinanceAdapter(instruments: instruments)
        case .coinbase: return CoinbaseAdapter(instruments: instruments)
        case .okx: return OKXAdapter(instruments: instruments)
        case .bybit: return BybitAdapter(instruments: instruments)
        case .bitget: return BitgetAdapter(instruments: instruments)
        case .gate: return GateAdapter(instruments: instruments)
        case .upbit: return UpbitAdapter(instruments: instruments)
        case .htx: return HTXAdapter(instruments: instruments)
        case .kucoin: return KuCoinAdapter(instruments: instruments)
        case .mexc: return MEXCAdapter(instruments: instruments)
        case .binanceRTDS: return BinanceRTDSAdapter(instruments: instruments)
        case .chainlink:
            switch try settings.relay(for: source, instrumentCount: instruments.count) {
            case .rtds: return ChainlinkAdapter(instruments: instruments)
            case .polybolt: return ChainlinkAdapter(instruments: instruments, credentials: settings.credentials!)
            }
        case .chainlinkTWAP:
            guard ChainlinkTWAPAdapter.windows.contains(settings.twapWindowSeconds) else {
                throw RelaySettings.Invalid(description: "--twap-window (TICKBUS_TWAP_WINDOW): \(settings.twapWindowSeconds) s is not a Chainlink TWAP Polymarket relays (60 or 30)")
            }
            switch try settings.relay(for: source, instrumentCount: instruments.count) {
            case .rtds: return ChainlinkTWAPAdapter(instruments: instruments, windowSeconds: settings.twapWindowSeconds)
            case .polybolt:
                // PolyBolt serves the 60 s window only; the 30 s TWAP was RTDS's crypto_prices_twap_thirty.
                guard settings.twapWindowSeconds == 60 else {
                    throw RelaySettings.Invalid(description: "--twap-window (TICKBUS_TWAP_WINDOW): PolyBolt serves only the 60 s TWAP; the 30 s one exists on RTDS (--relay rtds)")
                }
                return ChainlinkTWAPAdapter(instruments: instruments, credentials: settings.credentials!, windowSeconds: 60)
            }
        case .pyth:
            _ = try settings.relay(for: source, instrumentCount: instruments.count)
            return PythAdapter(instruments: instruments, credentials: settings.credentials!)
        }
    }
}
