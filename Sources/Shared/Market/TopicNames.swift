/// The Kafka topics of docs/architecture.md, with the optional deployment prefix applied in one place.
public struct TopicNames: Sendable, Hashable {
    /// Prepended verbatim to every topic name (e.g. `"staging."`). Default: none.
    public var prefix: String

    public init(prefix: String = "") {
        self.prefix = prefix
    }

    public func ticks(_ source: SourceID) -> String { prefix + "ticks." + source.rawValue }
    /// A regular expression (librdkafka's `^` convention) matching every `ticks.<source>` topic.
    public var ticksPattern: String { "^" + escapedPrefix + "ticks\\.[a-z0-9_-]+$" }
    /// The prefix with regular-expression metacharacters escaped, for subscription patterns.
    public var escapedPrefix: String { Self.escapeRegex(prefix) }
    public var status: String { prefix + "events.status" }
    public var producerDeadLetters: String { prefix + "dlq.producer" }
    public var sinkDeadLetters: String { prefix + "dlq.sink" }
    public var snapshots: String { prefix + "snapshots.1s" }
    public var windows: String { prefix + "windows.15m" }
    public var spreads: String { prefix + "spreads.1s" }

    private static func escapeRegex(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
