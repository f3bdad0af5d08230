/// Settings every Kafka client (producer, consumer, admin) shares.
///
/// Any librdkafka property can be passed through ``properties`` (SASL, SSL, timeouts…); it is applied last,
/// so it overrides what the typed settings derive. Values of secret properties never appear in logs or
/// errors.
public struct KafkaConfiguration: Sendable {
    /// `host:port` of one or more brokers.
    public var bootstrapServers: [String]
    /// `client.id`, visible in broker logs and metrics. Default: `"tickbus"`.
    public var clientID: String = "tickbus"
    /// How often librdkafka reports statistics into metrics; `nil` turns them off. Default: 15 s.
    public var statisticsInterval: Duration? = .seconds(15)
    /// Raw librdkafka properties, applied after the typed settings. Default: none.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// Whether a librdkafka property holds a secret whose value must never be printed.
    public static func isSecret(_ property: String) -> Bool {
        let name = property.lowercased()
        return name.contains("password") || name.contains("secret") || name.hasSuffix(".key.pem")
            || name == "sasl.oauthbearer.config" || name.hasSuffix("private.key") || name.hasSuffix(".key")
    }

    /// The properties this configuration sets before the role-specific ones.
    func baseProperties() -> [String: String] {
        var result: [String: String] = [
            "bootstrap.servers": bootstrapServers.joined(separator: ","),
            "client.id": clientID,
        ]
        if let statisticsInterval {
            result["statistics.interval.ms"] = String(statisticsInterval.milliseconds)
        }
        return result
    }

    /// The values of secret properties, so log lines that echo one can be scrubbed.
    var secretValues: [String] {
        properties.compactMap { Self.isSecret($0.key) && !$0.value.isEmpty ? $0.value : nil }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down; librdkafka's unit for every timeout.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).overflow ? .max : whole + attoseconds / 1_000_000_000_000_000
    }

    /// Milliseconds clamped to `Int32` for librdkafka calls that take an `int` timeout.
    var timeoutMilliseconds: Int32 {
        Int32(clamping: max(0, milliseconds))
    }
}
