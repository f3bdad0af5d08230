/// A data source Tickbus collects from: ten spot venues and the Chainlink reference price (ARCHITECTURE §2).
public enum SourceID: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case chainlink, binance, coinbase, upbit, okx, bybit, bitget, gate, kucoin, mexc, htx

    /// Whether the source is a reference oracle rather than an order-book venue; it decides default
    /// lateness and maximum gap (ARCHITECTURE §4).
    public var isOracle: Bool { self == .chainlink }

    public var description: String { rawValue }

    /// Position in `allCases` (0..<11), for per-source tables on hot paths.
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
