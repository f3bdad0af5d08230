import Foundation
import Logging
import Synchronization
import TickbusKafka

/// The broker `make test` starts (scripts/dev-services); override with TICKBUS_KAFKA_BROKERS.
let brokers = ProcessInfo.processInfo.environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092"

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

extension Logger {
    static var quiet: Logger {
        var logger = Logger(label: "integration") { _ in StreamLogHandler.standardError(label: "integration") }
        logger.logLevel = .error
        return logger
    }

    /// Drops everything: for clients whose broker is gone on purpose.
    static var silent: Logger {
        Logger(label: "silent") { _ in SwiftLogNoOpLogHandler() }
    }
}

func clientConfiguration(_ servers: String = brokers) -> KafkaConfiguration {
    var configuration = KafkaConfiguration(bootstrapServers: [servers])
    configuration.statisticsInterval = nil
    return configuration
}

func producerConfiguration(_ servers: String = brokers) -> KafkaProducerConfiguration {
    var configuration = KafkaProducerConfiguration(client: clientConfiguration(servers))
    configuration.linger = .milliseconds(5)
    configuration.messageTimeout = .seconds(30)
    return configuration
}

/// Group settings that keep Tansu's joins short.
func groupConsumerConfiguration(group: String) -> KafkaConsumerConfiguration {
    var configuration = KafkaConsumerConfiguration(client: clientConfiguration(), groupID: group)
    configuration.sessionTimeout = .seconds(6)
    configuration.heartbeatInterval = .milliseconds(500)
    return configuration
}

func createTopic(_ name: String, partitions: Int32, configs: [String: String] = [:]) async throws {
    let admin = try KafkaAdmin(configuration: clientConfiguration(), logger: .quiet)
    _ = try await admin.createTopics([KafkaTopicSpecification(name: name, partitions: partitions, configs: configs)])
    await admin.close()
}

/// Polls until `count` messages arrived or `timeout` passed.
func consume(_ consumer: KafkaConsumer, count: Int, timeout: Duration) async throws -> [KafkaConsumerMessage] {
    var received: [KafkaConsumerMessage] = []
    let deadline = ContinuousClock.now + timeout
    while received.count < count, ContinuousClock.now < deadline {
        received += try await consumer.poll(maxMessages: 10_000, timeout: .milliseconds(200))
    }
    return received
}

/// A second Tansu broker owned by one test, so it can be killed without disturbing the others.
final class PrivateBroker: Sendable {
    let address: String
    private let process: Process

    init() throws {
        let port = 20_000 + Int.random(in: 0..<20_000)
        address = "127.0.0.1:\(port)"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        process = Process()
        process.executableURL = root.appendingPathComponent("tools/tansu")
        process.arguments = [
            "broker", "--listener-url", "tcp://\(address)", "--advertised-listener-url", "tcp://\(address)",
            "--storage-engine", "memory://tansu/", "--silent",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Tansu ignores SIGTERM and SIGINT; its memory storage has nothing to flush, so SIGKILL it.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit {
        kill()
    }
}
