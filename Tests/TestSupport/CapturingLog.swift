public import Logging
public import Synchronization

/// A log handler that keeps every rendered line, so tests can assert on what was (not) logged — a secret
/// in particular.
public final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    public let lines = Mutex<[String]>([])
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
    }

    public var all: [String] { lines.withLock { $0 } }
}

extension Logger {
    public static func capturing(_ handler: CapturingLogHandler, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test") { _ in handler }
        logger.logLevel = level
        return logger
    }
}
