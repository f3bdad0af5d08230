public import TickbusMarket

/// The rules of docs/aggregator.md that are configuration: lateness, gap limits, the carry limit and the FX legs.
public struct AggregatorConfiguration: Sendable, Hashable {
    /// How long after the end of a second its ticks may still arrive. Default: 2 s for venues, 5 s for the
    /// oracle sources (`chainlink_twap`, `chainlink`, `pyth`, `binance_rtds`) (RTDS delivers observations ~1.1–1.4 s after their
    /// timestamp, ~2 s at p99).
    public var venueLateness: Duration = .seconds(2)
    public var oracleLateness: Duration = .seconds(5)
    /// Longest gap between consecutive ticks (or a window boundary and a tick) of a complete window.
    /// Default: 3 s for venues, 5 s for the oracle sources. Must be at least 1 s.
    public var venueMaxGap: Duration = .seconds(3)
    public var oracleMaxGap: Duration = .seconds(5)
    /// A source is carried forward while its last tick is at most this old at the end of a second. Default 60 s.
    public var carryLimit: Duration = .seconds(60)
    /// Window length. Default 900 s (Polymarket's 15-minute markets).
    public var windowLength: Duration = .seconds(900)
    /// FX legs: each values one asset of its instrument in the other's terms (default: Coinbase USDT-USD for
    /// USDT→USD, Upbit USDT-KRW for KRW→USDT).
    public var fxLegs: [FXLeg] = [
        FXLeg(source: .coinbase, instrument: try! Instrument("USDT-USD")),
        FXLeg(source: .upbit, instrument: try! Instrument("USDT-KRW")),
    ]
    /// Rates assumed (`fx_assumed = true`) while an asset's leg has no price. Default: USDT = 1 USD.
    public var assumedRates: [String: Double] = ["USDT": 1]

    public init() {}

    public func lateness(of source: SourceID) -> Duration { source.isOracle ? oracleLateness : venueLateness }
    public func maxGap(of source: SourceID) -> Duration { source.isOracle ? oracleMaxGap : venueMaxGap }

    /// Checks the values against the engine's limits; the error names the setting.
    public func validate() throws(AggregatorConfigurationError) {
        for (name, value) in [("venue lateness", venueLateness), ("oracle lateness", oracleLateness)] {
            guard value >= .zero, value <= .seconds(60) else {
                throw AggregatorConfigurationError(setting: name, reason: "must be between 0 and 60 s, got \(value)")
            }
        }
        for (name, value) in [("venue max gap", venueMaxGap), ("oracle max gap", oracleMaxGap)] {
            guard value >= .seconds(1) else {
                throw AggregatorConfigurationError(setting: name, reason: "must be at least 1 s, got \(value)")
            }
        }
        guard carryLimit >= .seconds(1) else {
            throw AggregatorConfigurationError(setting: "carry limit", reason: "must be at least 1 s, got \(carryLimit)")
        }
        guard windowLength >= .seconds(60), windowLength.microseconds % 1_000_000 == 0 else {
            throw AggregatorConfigurationError(setting: "window length", reason: "must be whole seconds, at least 60 s")
        }
        for leg in fxLegs where leg.instrument.base == leg.instrument.quote {
            throw AggregatorConfigurationError(setting: "fx leg", reason: "\(leg) relates an asset to itself")
        }
    }
}

/// An instrument whose price relates two assets for USD normalization, e.g. Coinbase `USDT-USD`.
public struct FXLeg: Sendable, Hashable, CustomStringConvertible {
    public var source: SourceID
    public var instrument: Instrument

    public init(source: SourceID, instrument: Instrument) {
        self.source = source
        self.instrument = instrument
    }

    /// `source:BASE-QUOTE`, e.g. `coinbase:USDT-USD`.
    public init(parsing text: String) throws(AggregatorConfigurationError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let source = SourceID(rawValue: parts[0]), let instrument = try? Instrument(parts[1]) else {
            throw AggregatorConfigurationError(setting: "fx leg", reason: "expected source:BASE-QUOTE (e.g. coinbase:USDT-USD), got '\(text)'")
        }
        self.init(source: source, instrument: instrument)
    }

    public var description: String { "\(source):\(instrument)" }
}

public struct AggregatorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let setting: String
    public let reason: String
    public var description: String { "\(setting): \(reason)" }
}

extension Duration {
    /// Whole microseconds (truncated).
    public var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
