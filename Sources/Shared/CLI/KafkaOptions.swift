public import ArgumentParser
import Foundation
public import TickbusKafka
public import TickbusMarket

/// Broker and topic settings every service takes, by flag or environment.
public struct KafkaOptions: ParsableArguments {
    @Option(help: "Kafka bootstrap servers, comma-separated (env TICKBUS_KAFKA_BROKERS; default 127.0.0.1:19092).")
    public var brokers: String?

    @Option(help: "Prefix of every topic name (env TICKBUS_TOPIC_PREFIX; default none).")
    public var topicPrefix: String?

    @Option(help: "Partitions of topics this process creates (env TICKBUS_TICK_PARTITIONS; default 6).")
    public var partitions: String?

    public init() {}

    public func resolve(clientID: String) throws -> (configuration: KafkaConfiguration, topics: TopicNames, partitions: Int32) {
        let environment = ProcessInfo.processInfo.environment
        let servers = (brokers ?? environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092")
            .split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !servers.isEmpty, servers.allSatisfy({ $0.contains(":") }) else {
            throw ValidationError("--brokers (TICKBUS_KAFKA_BROKERS): expected host:port[,host:port…]")
        }
        let partitionText = partitions ?? environment["TICKBUS_TICK_PARTITIONS"] ?? "6"
        guard let count = Int32(partitionText), (1...1024).contains(count) else {
            throw ValidationError("--partitions (TICKBUS_TICK_PARTITIONS): expected 1-1024, got '\(partitionText)'")
        }
        var configuration = KafkaConfiguration(bootstrapServers: servers)
        configuration.clientID = clientID
        return (configuration, TopicNames(prefix: topicPrefix ?? environment["TICKBUS_TOPIC_PREFIX"] ?? ""), count)
    }
}

/// The port of /metrics, /livez, /readyz from a flag or `TICKBUS_METRICS_PORT`.
public func metricsPort(_ flag: String?, default defaultPort: Int) throws -> Int {
    let text = flag ?? ProcessInfo.processInfo.environment["TICKBUS_METRICS_PORT"] ?? String(defaultPort)
    guard let port = Int(text), (0...65535).contains(port) else {
        throw ValidationError("--metrics-port (TICKBUS_METRICS_PORT): expected 0-65535, got '\(text)'")
    }
    return port
}

/// An integer setting from a flag or the environment, checked against `range`; the error names both.
public func integerSetting(_ flag: String?, environment name: String, option: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
    let text = flag ?? ProcessInfo.processInfo.environment[name] ?? String(value)
    guard let number = Int(text), range.contains(number) else {
        throw ValidationError("\(option) (\(name)): expected \(range.lowerBound)-\(range.upperBound), got '\(text)'")
    }
    return number
}

/// Runs a command tree; bad settings exit 2 (not ArgumentParser's 64) with a message naming the setting.
public func runCommandExitingOnBadSettings<Command: ParsableCommand>(_ command: Command.Type) async {
    do {
        var parsed = try Command.parseAsRoot()
        if var asyncCommand = parsed as? any AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try parsed.run()
        }
    } catch {
        let code = Command.exitCode(for: error)
        if code == .success { Command.exit(withError: error) }
        FileHandle.standardError.write(Data((Command.fullMessage(for: error) + "\n").utf8))
        exit(code == .validationFailure ? 2 : code.rawValue)
    }
}
