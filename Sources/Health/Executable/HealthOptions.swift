import ArgumentParser
import Foundation
import Health
import TickbusCLI
import TickbusKafka
import TickbusMarket

/// Settings shared by `health serve` and `health check`.
struct HealthOptions: ParsableArguments {
    @OptionGroup var postgres: PostgresOptions
    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Seconds over which fill rate is measured (env TICKBUS_HEALTH_WINDOW_SECONDS; default 300).")
    var window: String?

    @Option(help: "Newest seconds left out of the fill window, not final yet (env TICKBUS_HEALTH_SETTLE_SECONDS; default 5).")
    var settle: String?

    @Option(name: .customLong("source"), help: """
        A feed expected live, SOURCE or SOURCE:INSTRUMENT, with ! to make it required or ? informational \
        (warns, never fails OVERALL); repeat for more (env TICKBUS_HEALTH_SOURCES, comma-separated; default every \
        source with its BTC market, chainlink, pyth and binance_rtds informational).
        """)
    var sources: [String] = []

    @Option(name: .customLong("threshold"), help: """
        KEY=WARN/FAIL, repeatable (env TICKBUS_HEALTH_THRESHOLDS, comma-separated). Keys: <source>.lag, \
        <source>.fill, venues.lag, venues.fill, chainlink.lag, chainlink.fill, consumer.messages, consumer.seconds, \
        sink.freshness. E.g. binance.lag=5/20, venues.fill=0.95/0.6.
        """)
    var thresholds: [String] = []

    @Option(help: "Consumer group of the aggregator (env TICKBUS_AGGREGATOR_GROUP; default aggregator).")
    var aggregatorGroup: String?

    @Option(help: "Consumer group of the sink (env TICKBUS_SINK_GROUP; default sink).")
    var sinkGroup: String?

    @Option(help: "Longest a database or broker check may take, seconds (env TICKBUS_HEALTH_TIMEOUT_SECONDS; default 5).")
    var timeout: String?

    func resolve(clientID: String) throws -> (HealthConfiguration, KafkaConfiguration) {
        let environment = ProcessInfo.processInfo.environment
        var configuration = HealthConfiguration()
        configuration.postgres = try postgres.resolve(applicationName: clientID)
        let (client, topics, _) = try kafka.resolve(clientID: clientID)
        configuration.topics = topics
        configuration.windowSeconds = try integerSetting(
            window, environment: "TICKBUS_HEALTH_WINDOW_SECONDS", option: "--window", default: 300, range: 10...86_400)
        configuration.settleSeconds = try integerSetting(
            settle, environment: "TICKBUS_HEALTH_SETTLE_SECONDS", option: "--settle", default: 5, range: 0...120)
        let timeoutSeconds = try integerSetting(
            timeout, environment: "TICKBUS_HEALTH_TIMEOUT_SECONDS", option: "--timeout", default: 5, range: 1...120)
        configuration.checkTimeout = .seconds(timeoutSeconds)
        configuration.postgres.connectTimeout = .seconds(min(timeoutSeconds, 3))

        let feedTexts = sources.isEmpty
            ? (environment["TICKBUS_HEALTH_SOURCES"] ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            : sources
        if !feedTexts.isEmpty { configuration.feeds = try feedTexts.map(Self.feed) }
        let thresholdTexts = thresholds.isEmpty
            ? (environment["TICKBUS_HEALTH_THRESHOLDS"] ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            : thresholds
        for text in thresholdTexts { try Self.apply(threshold: text, to: &configuration) }
        configuration.groups = [
            ConsumerGroup(role: .aggregator, groupID: aggregatorGroup ?? environment["TICKBUS_AGGREGATOR_GROUP"] ?? "aggregator"),
            ConsumerGroup(role: .sink, groupID: sinkGroup ?? environment["TICKBUS_SINK_GROUP"] ?? "sink"),
        ]
        return (configuration, client)
    }

    static func feed(_ text: String) throws -> Feed {
        var body = Substring(text)
        var required: Bool?
        if body.hasSuffix("!") { required = true; body = body.dropLast() } else if body.hasSuffix("?") { required = false; body = body.dropLast() }
        let parts = body.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let source = SourceID(rawValue: first) else {
            let known = SourceID.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--source (TICKBUS_HEALTH_SOURCES): unknown source '\(text)'; sources: \(known)")
        }
        guard parts.count == 2 else { return Feed(source: source, instrument: source.defaultInstruments[0], required: required) }
        do {
            return Feed(source: source, instrument: try Instrument(parts[1]), required: required)
        } catch {
            throw ValidationError("--source (TICKBUS_HEALTH_SOURCES): '\(text)': \(error)")
        }
    }

    static func apply(threshold text: String, to configuration: inout HealthConfiguration) throws {
        let setting = "--threshold (TICKBUS_HEALTH_THRESHOLDS)"
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let levels = parts.count == 2 ? parts[1].split(separator: "/").map { Double($0) } : []
        guard parts.count == 2, levels.count == 2, let warn = levels[0], let fail = levels[1], warn.isFinite, fail.isFinite, warn >= 0, fail >= 0 else {
            throw ValidationError("\(setting): '\(text)' is not KEY=WARN/FAIL (e.g. binance.lag=5/20)")
        }
        let key = parts[0]
        let isFill = key.hasSuffix(".fill")
        let limit = isFill ? Limit.below(warn: warn, fail: fail) : Limit.above(warn: warn, fail: fail)
        guard limit.isOrdered else {
            throw ValidationError("\(setting): '\(text)': \(isFill ? "a fill rate warns before it fails, so WARN must be ≥ FAIL" : "WARN must be ≤ FAIL")")
        }
        if isFill, warn > 1 || fail > 1 { throw ValidationError("\(setting): '\(text)': fill rates are ratios between 0 and 1") }
        switch key {
        case "venues.lag": configuration.venueLag = limit
        case "venues.fill": configuration.venueFill = limit
        case "consumer.messages": configuration.consumerMessages = limit
        case "consumer.seconds": configuration.consumerSeconds = limit
        case "sink.freshness": configuration.sinkFreshness = limit
        default:
            let keyParts = key.split(separator: ".").map(String.init)
            guard keyParts.count == 2, let source = SourceID(rawValue: keyParts[0]), ["lag", "fill"].contains(keyParts[1]) else {
                throw ValidationError("\(setting): unknown key '\(key)'; keys: <source>.lag, <source>.fill, venues.lag, venues.fill, consumer.messages, consumer.seconds, sink.freshness")
            }
            if isFill { configuration.fillOverrides[source] = limit } else { configuration.lagOverrides[source] = limit }
        }
    }
}
