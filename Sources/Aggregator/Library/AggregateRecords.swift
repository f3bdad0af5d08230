public import TickbusMarket

/// One source × instrument × second (topic `snapshots.1s`, docs/aggregator.md). Times in µs since the epoch.
public struct SnapshotRecord: Sendable, Hashable {
    public var source: SourceID
    public var instrument: Instrument
    /// Start of the second `S` (µs); the snapshot describes `[S, S+1)`.
    public var second: Int64
    public var price: Double
    public var bid: Double?
    public var ask: Double?
    public var fresh: Bool
    public var ticks: Int
    public var open: Double?
    public var high: Double?
    public var low: Double?
    public var close: Double?
    /// `(S+1)·1000 − event time of the last tick` in whole ms (floored).
    public var ageMilliseconds: Int64
    public var priceUSD: Double?
    public var fx: Double?
    public var fxAssumed: Bool
}

/// One source × instrument × 15-minute window (topic `windows.15m`, compacted on `key`).
public struct WindowRecord: Sendable, Hashable {
    public enum Side: String, Sendable { case up, down }

    public var source: SourceID
    public var instrument: Instrument
    public var windowStart: Int64
    public var open: Double
    public var openTime: Int64
    public var current: Double
    public var currentTime: Int64
    public var high: Double
    public var low: Double
    public var ticks: Int
    /// Whole seconds from the end of the last second folded in to the window's end.
    public var secondsLeft: Int64
    public var resolutionPrice: Double?
    public var resolutionTime: Int64?
    /// Longest gap seen so far (start boundary → first tick, tick → tick, last tick → end of what is final).
    public var maxGapMilliseconds: Int64
    public var complete: Bool
    /// End of the last second folded into this record (µs).
    public var asOf: Int64

    public var openDelayMilliseconds: Int64 { (openTime - windowStart) / 1000 }
    public var change: Double { current - open }
    public var changeBasisPoints: Double { (current / open - 1) * 10_000 }
    public var side: Side { current >= open ? .up : .down }
    public var resolvedSide: Side? { resolutionPrice.map { $0 >= open ? .up : .down } }
    public var isFinal: Bool { resolutionPrice != nil }
    public var key: String { "\(source.rawValue)|\(instrument)|\(windowStart)" }
}

/// One unordered pair of sources × base asset × second (topic `spreads.1s`); `a` < `b` by source id.
public struct SpreadRecord: Sendable, Hashable {
    public var second: Int64
    public var base: String
    public var a: SourceID
    public var b: SourceID
    public var aInstrument: Instrument
    public var bInstrument: Instrument
    public var aPriceUSD: Double
    public var bPriceUSD: Double
    /// `a.price − b.price` in the common quote, when both instruments have the same quote.
    public var diff: Double?
    public var aAgeMilliseconds: Int64
    public var bAgeMilliseconds: Int64
    public var fxAssumed: Bool

    public var diffUSD: Double { aPriceUSD - bPriceUSD }
    public var basisPoints: Double { (aPriceUSD / bPriceUSD - 1) * 10_000 }
    public var key: String { "\(a.rawValue)|\(b.rawValue)|\(base)" }
}

public enum AggregateRecord: Sendable, Hashable {
    case snapshot(SnapshotRecord)
    case window(WindowRecord)
    case spread(SpreadRecord)

    /// The Kafka key: stream for snapshots, `source|instrument|window_start` for windows, pair for spreads.
    public var key: String {
        switch self {
        case .snapshot(let record): "\(record.source.rawValue)|\(record.instrument)"
        case .window(let record): record.key
        case .spread(let record): record.key
        }
    }
}
