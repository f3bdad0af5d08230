public import TickbusMarket
public import TickbusPostgres

/// A warn and a fail level for one measured value.
public struct Limit: Sendable, Hashable {
    public enum Direction: String, Sendable {
        /// Worse as the value grows (lag, age).
        case above
        /// Worse as the value shrinks (fill rate).
        case below
    }

    public var warn: Double
    public var fail: Double
    public var direction: Direction

    public init(warn: Double, fail: Double, direction: Direction) {
        self.warn = warn
        self.fail = fail
        self.direction = direction
    }

    public static func above(warn: Double, fail: Double) -> Limit { Limit(warn: warn, fail: fail, direction: .above) }
    public static func below(warn: Double, fail: Double) -> Limit { Limit(warn: warn, fail: fail, direction: .below) }

    public func status(of value: Double) -> CheckStatus {
        switch direction {
        case .above: value > fail ? .fail : value > warn ? .warn : .pass
        case .below: value < fail ? .fail : value < warn ? .warn : .pass
        }
    }

    /// Whether `warn` and `fail` are in the right order for the direction.
    public var isOrdered: Bool { direction == .above ? warn <= fail : warn >= fail }
}

/// One market of one source whose snapshots are checked.
public struct Feed: Sendable, Hashable, CustomStringConvertible {
    public var source: SourceID
    public var instrument: Instrument
    /// Whether a silent or failing feed fails OVERALL; an informational feed warns at worst. Default: the
    /// source's default (`chainlink`, `pyth`, `binance_rtds` are informational; docs/health.md).
    public var required: Bool

    public init(source: SourceID, instrument: Instrument, required: Bool? = nil) {
        self.source = source
        self.instrument = instrument
        self.required = required ?? source.isRequiredByDefault
    }

    /// Every source with its BTC market (docs/topics.md#sources).
    public static var all: [Feed] { SourceID.allCases.map { Feed(source: $0, instrument: $0.defaultInstruments[0]) } }

    public var description: String { "\(source) \(instrument)" }
}

/// A consumer group whose lag is checked, and which topics it reads.
public struct ConsumerGroup: Sendable, Hashable {
    public enum Role: String, Sendable, CaseIterable {
        /// Reads `ticks.*`.
        case aggregator
        /// Reads every Tickbus topic.
        case sink
    }

    public var role: Role
    public var groupID: String

    public init(role: Role, groupID: String) {
        self.role = role
        self.groupID = groupID
    }

    /// The topics of `existing` this group consumes.
    public func topics(of existing: [String], names: TopicNames) -> [String] {
        let families = switch role {
        case .aggregator: ["ticks."]
        case .sink: ["ticks.", "events.status", "dlq.producer", "dlq.sink", "snapshots.1s", "windows.15m", "spreads.1s"]
        }
        return existing.filter { topic in
            guard topic.hasPrefix(names.prefix) else { return false }
            let name = topic.dropFirst(names.prefix.count)
            return families.contains { $0.hasSuffix(".") ? name.hasPrefix($0) && name.count > $0.count : name == $0 }
        }.sorted()
    }
}

/// What the health service checks and where the lines are. Defaults follow docs/health.md: venues tick
/// many times a second, the oracle sources Polymarket relays (the TWAP, Chainlink and Pyth spot, Binance via RTDS) about once.
public struct HealthConfiguration: Sendable {
    public var postgres = PostgresSettings()
    public var topics = TopicNames()
    /// Feeds expected to be live; a missing or silent one fails. Default: every source's BTC market.
    public var feeds = Feed.all
    /// Seconds over which fill rate is measured. Default: 300.
    public var windowSeconds = 300
    /// The newest seconds left out of the fill window: the aggregator finalizes a second about 2 s after it
    /// ends and the sink writes in batches. Default: 5.
    public var settleSeconds = 5
    /// Lag (seconds since the newest tick event time in the snapshots) of exchange feeds. Default: warn > 10, fail > 30.
    public var venueLag = Limit.above(warn: 10, fail: 30)
    /// Fill rate of exchange feeds (fresh seconds ÷ window seconds). Default: warn < 0.9, fail < 0.5.
    public var venueFill = Limit.below(warn: 0.9, fail: 0.5)
    /// Lag of the oracle feeds (`chainlink_twap`, `chainlink`, `pyth`, `binance_rtds`). Default: warn > 10, fail > 30.
    public var oracleLag = Limit.above(warn: 10, fail: 30)
    /// Fill rate of the oracle feeds (about one update a second, some seconds without). Default: warn < 0.6, fail < 0.3.
    public var oracleFill = Limit.below(warn: 0.6, fail: 0.3)
    /// Per-source overrides of the lag limits.
    public var lagOverrides: [SourceID: Limit] = [:]
    /// Per-source overrides of the fill-rate limits.
    public var fillOverrides: [SourceID: Limit] = [:]
    public var groups = [ConsumerGroup(role: .aggregator, groupID: "aggregator"), ConsumerGroup(role: .sink, groupID: "sink")]
    /// Records a group has not consumed yet. Default: warn > 10 000, fail > 100 000.
    public var consumerMessages = Limit.above(warn: 10_000, fail: 100_000)
    /// Age of the oldest record a group has not consumed, seconds. The aggregator commits a second only once
    /// it is final for every source (2 s + lateness), so a healthy aggregator reads several seconds behind.
    /// Default: warn > 30, fail > 120.
    public var consumerSeconds = Limit.above(warn: 30, fail: 120)
    /// Seconds since the sink's last committed batch. Default: warn > 10, fail > 60.
    public var sinkFreshness = Limit.above(warn: 10, fail: 60)
    /// The source and market whose open 15-minute window is checked: the series the markets resolve on.
    /// Default: `chainlink_twap` BTC-USD.
    public var windowSource = SourceID.chainlinkTWAP
    public var windowInstrument = SourceID.chainlinkTWAP.defaultInstruments[0]
    /// Seconds after a window boundary before its row must exist, and before the previous window must be
    /// final. Default: 15.
    public var windowGraceSeconds = 15
    /// Open delay (first tick after the boundary) that makes the price to beat doubtful, seconds. Default: 5.
    public var windowOpenDelayWarnSeconds = 5.0
    /// Longest any one check may take. Default: 5 s.
    public var checkTimeout: Duration = .seconds(5)

    public init() {}

    public func lagLimit(of source: SourceID) -> Limit { lagOverrides[source] ?? (source.isOracle ? oracleLag : venueLag) }
    public func fillLimit(of source: SourceID) -> Limit { fillOverrides[source] ?? (source.isOracle ? oracleFill : venueFill) }
}
