import Foundation
import Logging
import Synchronization
@testable import TickbusKafka

/// A log handler that keeps every rendered line, so tests can assert on what was (not) logged.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
    }

    var all: [String] { lines.withLock { $0 } }
}

extension Logger {
    static func capturing(_ handler: CapturingLogHandler, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = level
        return logger
    }

    static var quiet: Logger {
        var logger = Logger(label: "test") { _ in StreamLogHandler.standardError(label: "test") }
        logger.logLevel = .error
        return logger
    }
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// Collects delivery reports until `count` arrived or `timeout` passed.
func collect(_ reports: KafkaDeliveryReports, count: Int, timeout: Duration) async -> [KafkaDeliveryReport] {
    await withTaskGroup(of: [KafkaDeliveryReport].self) { group in
        group.addTask {
            var collected: [KafkaDeliveryReport] = []
            for await report in reports {
                collected.append(report)
                if collected.count == count { break }
            }
            return collected
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return []
        }
        var result: [KafkaDeliveryReport] = []
        for await partial in group {
            result = partial
            group.cancelAll()
            break
        }
        return result
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
