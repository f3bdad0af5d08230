import Foundation
import Logging
import Synchronization
@testable import TickbusKafka

extension Logger {
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
