/// A data source Tickbus collects from: ten spot venues and the Chainlink reference price (ARCHITECTURE §2).
public enum SourceID: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case chainlink, binance, coinbase, upbit, okx, bybit, bitget, gate, kucoin, mexc, htx

    /// Whether the source is a reference oracle rather than an order-book venue; it decides default
    /// lateness and maximum gap (ARCHITECTURE §4).
    public var isOracle: Bool { self == .chainlink }

    public var description: String { rawValue }

    /// Pairs and spreads order sources by id (`a < b`), so comparison is on the raw value.
    public static func < (lhs: SourceID, rhs: SourceID) -> Bool { lhs.rawValue < rhs.rawValue }
}
