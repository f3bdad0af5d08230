public import TickbusMarket

/// The tables of docs/tables.md as the sink writes them: which topic feeds each, the columns COPY fills
/// (in order), the time column partitions are ranged on, the natural key and how a redelivered key is handled.
public enum SinkTable: String, CaseIterable, Sendable, Hashable, Comparable {
    case ticks
    case snapshots = "snapshots_1s"
    case windows = "windows_15m"
    case spreads = "spreads_1s"
    case venueEvents = "venue_events"
    case deadLetters = "dead_letters"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String { rawValue }

    /// The column the table is range-partitioned on, by day.
    public var timeColumn: String {
        switch self {
        case .ticks, .venueEvents, .deadLetters: "ts"
        case .snapshots, .spreads: "second"
        case .windows: "window_start"
        }
    }

    /// The columns COPY fills, in the order ``RowEncoder`` writes them.
    public var columns: [String] {
        switch self {
        case .ticks:
            ["ts", "source", "instrument", "venue_symbol", "kind", "bid", "bid_size", "ask", "ask_size", "last",
             "exact", "ts_venue", "ts_recv", "conn", "seq", "producer"]
        case .snapshots:
            ["second", "source", "instrument", "price", "bid", "ask", "fresh", "ticks", "open", "high", "low", "close",
             "age_ms", "price_usd", "fx", "fx_assumed"]
        case .windows:
            ["window_start", "source", "instrument", "open", "open_ts", "open_delay_ms", "current", "current_ts",
             "high", "low", "ticks", "change", "change_bps", "side", "seconds_left", "resolution_price",
             "resolution_ts", "resolved_side", "final", "complete", "max_gap_ms", "as_of"]
        case .spreads:
            ["second", "base", "a", "b", "a_instrument", "b_instrument", "a_price_usd", "b_price_usd", "diff_usd",
             "bps", "diff", "a_age_ms", "b_age_ms", "fx_assumed"]
        case .venueEvents:
            ["ts", "source", "producer", "conn", "event", "detail", "last_seq"]
        case .deadLetters:
            ["ts", "topic", "kafka_partition", "kafka_offset", "source", "producer", "reason", "opcode",
             "origin_topic", "origin_partition", "origin_offset", "payload"]
        }
    }

    /// The natural key (docs/tables.md): redelivery of a key never adds a row.
    public var naturalKey: [String] {
        switch self {
        case .ticks: ["producer", "seq", "ts"]
        case .snapshots: ["source", "instrument", "second"]
        case .windows: ["source", "instrument", "window_start"]
        case .spreads: ["a", "b", "base", "second"]
        case .venueEvents: ["producer", "conn", "event", "ts"]
        case .deadLetters: ["topic", "kafka_partition", "kafka_offset", "ts"]
        }
    }

    /// Windows are upserted (the newest record of a window wins, a final one for good); every other table
    /// keeps the first copy of a key.
    public var upserts: Bool { self == .windows }

    /// Default retention in days (`nil`: kept forever). docs/tables.md; dead letters like events.
    public var defaultRetentionDays: Int? {
        switch self {
        case .ticks, .spreads: 7
        case .snapshots, .venueEvents, .deadLetters: 30
        case .windows: nil
        }
    }

    /// The table a topic is written to (`nil`: not a Tickbus topic).
    public static func table(forTopic topic: String, topics: TopicNames) -> SinkTable? {
        guard topic.hasPrefix(topics.prefix) else { return nil }
        switch topic {
        case topics.snapshots: return .snapshots
        case topics.windows: return .windows
        case topics.spreads: return .spreads
        case topics.status: return .venueEvents
        case topics.producerDeadLetters, topics.sinkDeadLetters: return .deadLetters
        default: return topic.dropFirst(topics.prefix.count).hasPrefix("ticks.") ? .ticks : nil
        }
    }

    /// A regular expression matching every topic the sink reads.
    public static func topicPattern(_ topics: TopicNames) -> String {
        "^" + topics.escapedPrefix + #"(ticks\.[a-z0-9_-]+|events\.status|dlq\.producer|dlq\.sink|snapshots\.1s|windows\.15m|spreads\.1s)$"#
    }
}
