/// A data source Tickbus collects from (docs/topics.md#sources): ten spot venues; the oracle series Polymarket
/// relays — `chainlink_twap` (Chainlink's 60 s TWAP, what the Up/Down markets resolve on since 2026-08-07),
/// `chainlink` (Chainlink spot), `pyth` (Pyth spot, PolyBolt only) — and `binance_rtds`, Binance BTC/USDT as
/// the deprecated RTDS socket relays it.
public enum SourceID: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    // New sources go last, so per-source tables indexed by `index` keep their positions.
    case chainlink, binance, coinbase, upbit, okx, bybit, bitget, gate, kucoin, mexc, htx
    case binanceRTDS = "binance_rtds"
    case chainlinkTWAP = "chainlink_twap"
    case pyth

    /// Whether the source is a reference value relayed by Polymarket (`chainlink_twap`, `chainlink`, `pyth`,
    /// `binance_rtds`) rather than an order-book venue: about one update a second, published 1–2 s after its
    /// observation time. It decides default lateness and maximum gap (docs/aggregator.md) and the health limits.
    public var isOracle: Bool {
        switch self {
        case .chainlink, .binanceRTDS, .chainlinkTWAP, .pyth: true
        case .binance, .coinbase, .upbit, .okx, .bybit, .bitget, .gate, .kucoin, .mexc, .htx: false
        }
    }

    /// Whether health fails OVERALL when the source is silent. The informational sources (`chainlink` spot,
    /// `pyth`, `binance_rtds`) only warn by default: no market resolves on them today (docs/health.md).
    public var isRequiredByDefault: Bool {
        switch self {
        case .chainlink, .pyth, .binanceRTDS: false
        case .chainlinkTWAP, .binance, .coinbase, .upbit, .okx, .bybit, .bitget, .gate, .kucoin, .mexc, .htx: true
        }
    }

    public var description: String { rawValue }

    /// Position in `allCases` (0..<14), for per-source tables on hot paths.
    @inlinable
    public var index: Int {
        switch self {
        case .chainlink: 0
        case .binance: 1
        case .coinbase: 2
        case .upbit: 3
        case .okx: 4
        case .bybit: 5
        case .bitget: 6
        case .gate: 7
        case .kucoin: 8
        case .mexc: 9
        case .htx: 10
        case .binanceRTDS: 11
        case .chainlinkTWAP: 12
        case .pyth: 13
        }
    }

    /// Pairs and spreads order sources by id (`a < b`), so comparison is on the raw value.
    public static func < (lhs: SourceID, rhs: SourceID) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension SourceID {
    /// The markets collected when none are configured (docs/topics.md#sources); the first is the source's BTC market,
    /// the others FX legs.
    public var defaultInstruments: [Instrument] {
        let names: [String] = switch self {
        case .chainlink, .chainlinkTWAP, .pyth: ["BTC-USD"]
        case .coinbase: ["BTC-USD", "USDT-USD"]
        case .upbit: ["BTC-KRW", "USDT-KRW"]
        default: ["BTC-USDT"]
        }
        return names.map { try! Instrument($0) }
    }
}
