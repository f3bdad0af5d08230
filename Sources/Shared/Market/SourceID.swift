/// A data source Tickbus collects from: ten spot venues and the Chainlink reference price (ARCHITECTURE §2),
/// and a twelfth beyond the design card, `binance_rtds`: Binance BTC/USDT as Polymarket's real-time data
/// socket relays it (RTDS topic `crypto_prices`, the reference of the hourly BTC Up/Down markets).
public enum SourceID: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    // New sources go last, so per-source tables indexed by `index` keep their positions.
    case chainlink, binance, coinbase, upbit, okx, bybit, bitget, gate, kucoin, mexc, htx
    case binanceRTDS = "binance_rtds"

    /// Whether the source is a reference value relayed by Polymarket's RTDS (`chainlink`, `binance_rtds`)
    /// rather than an order-book venue: about one update a second, published 1–2 s after its observation
    /// time. It decides default lateness and maximum gap (ARCHITECTURE §4) and the health limits.
    public var isOracle: Bool { self == .chainlink || self == .binanceRTDS }

    public var description: String { rawValue }

    /// Position in `allCases` (0..<12), for per-source tables on hot paths.
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
        }
    }

    /// Pairs and spreads order sources by id (`a < b`), so comparison is on the raw value.
    public static func < (lhs: SourceID, rhs: SourceID) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension SourceID {
    /// The markets collected when none are configured (ARCHITECTURE §2); the first is the source's BTC market,
    /// the others FX legs.
    public var defaultInstruments: [Instrument] {
        let names: [String] = switch self {
        case .chainlink: ["BTC-USD"]
        case .coinbase: ["BTC-USD", "USDT-USD"]
        case .upbit: ["BTC-KRW", "USDT-KRW"]
        default: ["BTC-USDT"]
        }
        return names.map { try! Instrument($0) }
    }
}
