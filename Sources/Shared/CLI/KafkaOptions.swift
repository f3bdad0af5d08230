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

    @Option(help: "plaintext, ssl, sasl_plaintext or sasl_ssl (env TICKBUS_KAFKA_SECURITY_PROTOCOL; default plaintext).")
    public var kafkaSecurityProtocol: String?

    @Option(help: "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 for the sasl_* protocols (env TICKBUS_KAFKA_SASL_MECHANISM; default SCRAM-SHA-512). The password comes only from TICKBUS_KAFKA_SASL_PASSWORD or the file named by TICKBUS_KAFKA_SASL_PASSWORD_FILE, never a flag.")
    public var kafkaSaslMechanism: String?

    @Option(help: "SASL user name (env TICKBUS_KAFKA_SASL_USERNAME).")
    public var kafkaSaslUsername: String?

    @Option(help: "PEM file of the CAs that sign the brokers' certificates, for ssl and sasl_ssl (env TICKBUS_KAFKA_SSL_CA_FILE; default the system's).")
    public var kafkaCaFile: String?

    public init() {}

    public func resolve(clientID: String) throws -> (configuration: KafkaConfiguration, topics: TopicNames, partitions: Int32) {
        try resolve(clientID: clientID, environment: ProcessInfo.processInfo.environment)
    }

    func resolve(clientID: String, environment: [String: String]) throws -> (configuration: KafkaConfiguration, topics: TopicNames, partitions: Int32) {
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
        configuration.properties = try securityProperties(environment)
        return (configuration, TopicNames(prefix: topicPrefix ?? environment["TICKBUS_TOPIC_PREFIX"] ?? ""), count)
    }
}

extension KafkaOptions {
    static let securityProtocols = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"]
    static let saslMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

    /// librdkafka's security properties from the settings; errors name the setting, never the password.
    func securityProperties(_ environment: [String: String]) throws -> [String: String] {
        let securityProtocol = (kafkaSecurityProtocol ?? environment["TICKBUS_KAFKA_SECURITY_PROTOCOL"] ?? "plaintext").lowercased()
        guard Self.securityProtocols.contains(securityProtocol) else {
            throw ValidationError("--kafka-security-protocol (TICKBUS_KAFKA_SECURITY_PROTOCOL): expected \(Self.securityProtocols.joined(separator: ", ")), got '\(securityProtocol)'")
        }
        var properties = ["security.protocol": securityProtocol]
        if securityProtocol.hasSuffix("ssl"), let caFile = kafkaCaFile ?? environment["TICKBUS_KAFKA_SSL_CA_FILE"] {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw ValidationError("--kafka-ca-file (TICKBUS_KAFKA_SSL_CA_FILE): cannot read '\(caFile)'")
            }
            properties["ssl.ca.location"] = caFile
        }
        guard securityProtocol.hasPrefix("sasl") else { return properties }
        let mechanism = (kafkaSaslMechanism ?? environment["TICKBUS_KAFKA_SASL_MECHANISM"] ?? "SCRAM-SHA-512").uppercased()
        guard Self.saslMechanisms.contains(mechanism) else {
            throw ValidationError("--kafka-sasl-mechanism (TICKBUS_KAFKA_SASL_MECHANISM): expected \(Self.saslMechanisms.joined(separator: ", ")), got '\(mechanism)'")
        }
        guard let username = kafkaSaslUsername ?? environment["TICKBUS_KAFKA_SASL_USERNAME"], !username.isEmpty else {
            throw ValidationError("--kafka-sasl-username (TICKBUS_KAFKA_SASL_USERNAME): required with \(securityProtocol)")
        }
        let password: String
        if let file = environment["TICKBUS_KAFKA_SASL_PASSWORD_FILE"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ValidationError("TICKBUS_KAFKA_SASL_PASSWORD_FILE: cannot read '\(file)'")
            }
            password = text.trimmingCharacters(in: .newlines)
        } else {
            password = environment["TICKBUS_KAFKA_SASL_PASSWORD"] ?? ""
        }
        guard !password.isEmpty else {
            throw ValidationError("TICKBUS_KAFKA_SASL_PASSWORD or TICKBUS_KAFKA_SASL_PASSWORD_FILE: required with \(securityProtocol)")
        }
        properties["sasl.mechanism"] = mechanism
        properties["sasl.username"] = username
        properties["sasl.password"] = password
        return properties
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
