public import Hummingbird
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization
public import TickbusKafka
public import TickbusMarket
import TickbusPostgres

/// Measures Postgres and the broker (concurrently, each within ``HealthConfiguration/checkTimeout``) and
/// assesses the result. A probe that has not returned from an earlier evaluation is reported as failing
/// rather than started twice.
public actor HealthEvaluator {
    public let configuration: HealthConfiguration
    private let postgres: PostgresProbe
    private let kafka: KafkaProbe
    private var postgresRunning: Task<Result<PostgresMeasurements, DatabaseError>, Never>?
    private var kafkaRunning: Task<Result<KafkaMeasurements, KafkaError>, Never>?

    public init(configuration: HealthConfiguration, client: KafkaConfiguration, logger: Logger) {
        self.configuration = configuration
        postgres = PostgresProbe(configuration: configuration, logger: logger)
        kafka = KafkaProbe(configuration: configuration, client: client, logger: logger)
    }

    public func evaluate(now: Int64 = WallClock.microseconds()) async -> HealthReport {
        async let database = measurePostgres(now: now)
        async let broker = measureKafka(now: now)
        let (postgresResult, kafkaResult) = await (database, broker)
        return HealthAssessment.report(configuration: configuration, now: now, postgres: postgresResult, kafka: kafkaResult)
    }

    public func close() async {
        if let postgresRunning { _ = await postgresRunning.value }
        if let kafkaRunning { _ = await kafkaRunning.value }
        await postgres.close()
        await kafka.close()
    }

    private func measurePostgres(now: Int64) async -> Result<PostgresMeasurements, DatabaseError> {
        let timeout = configuration.checkTimeout
        if postgresRunning != nil {
            return .failure(DatabaseError(.unavailable, "an earlier database check has still not returned (timeout \(timeout))"))
        }
        let probe = postgres
        let task = Task { () -> Result<PostgresMeasurements, DatabaseError> in
            do throws(DatabaseError) { return .success(try await probe.measure(now: now)) } catch { return .failure(error) }
        }
        postgresRunning = task
        if let result = await value(of: task, within: timeout) {
            postgresRunning = nil
            return result
        }
        Task { _ = await task.value; self.postgresReturned() }
        return .failure(DatabaseError(.unavailable, "no answer from the database within \(timeout)"))
    }

    private func measureKafka(now: Int64) async -> Result<KafkaMeasurements, KafkaError> {
        let timeout = configuration.checkTimeout * 2  // admin requests and one peek per lagging group
        if kafkaRunning != nil {
            return .failure(KafkaError(code: .timedOut, reason: "an earlier broker check has still not returned (timeout \(timeout))", isRetriable: true))
        }
        let probe = kafka
        let task = Task { () -> Result<KafkaMeasurements, KafkaError> in
            do throws(KafkaError) { return .success(try await probe.measure(now: now)) } catch { return .failure(error) }
        }
        kafkaRunning = task
        if let result = await value(of: task, within: timeout) {
            kafkaRunning = nil
            return result
        }
        Task { _ = await task.value; self.kafkaReturned() }
        return .failure(KafkaError(code: .timedOut, reason: "no answer from the broker within \(timeout)", isRetriable: true))
    }

    private func postgresReturned() { postgresRunning = nil }
    private func kafkaReturned() { kafkaRunning = nil }
}

/// The task's value, or `nil` if it takes longer than `timeout` (the task keeps running).
func value<T: Sendable>(of task: Task<T, Never>, within timeout: Duration) async -> T? {
    let claimed = OnceFlag()
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        Task {
            let result = await task.value
            if claimed.claim() { continuation.resume(returning: result) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if claimed.claim() { continuation.resume(returning: nil) }
        }
    }
}

/// A shared once-only flag.
final class OnceFlag: Sendable {
    private let flag = Atomic(false)
    /// `true` for the first caller only.
    func claim() -> Bool { !flag.exchange(true, ordering: .acquiringAndReleasing) }
}

/// `health serve`: evaluates every `interval`, keeps the latest report for `/health` and the
/// `tickbus_health_*` gauges, and makes the probe server ready after the first evaluation.
public final class HealthService: Service, Sendable {
    public static let name = "health"

    private let evaluator: HealthEvaluator
    private let interval: Duration
    private let logger: Logger
    private let latest = Mutex<HealthReport?>(nil)
    private let onFirstReport: @Sendable () -> Void

    public init(evaluator: HealthEvaluator, interval: Duration, logger: Logger, onFirstReport: @escaping @Sendable () -> Void = {}) {
        self.evaluator = evaluator
        self.interval = interval
        self.logger = logger
        self.onFirstReport = onFirstReport
    }

    public var latestReport: HealthReport? { latest.withLock { $0 } }

    public func run() async throws {
        var previous: CheckStatus?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let report = await evaluator.evaluate()
            let first = latest.withLock { let was = $0 == nil; $0 = report; return was }
            HealthMetrics.record(report)
            if first { onFirstReport() }
            if report.overall != previous {
                let failing = report.checks.filter { $0.required && $0.status == .fail }.map(\.name)
                logger.log(level: report.overall == .pass ? .info : .warning, "health \(report.overall.rawValue)",
                           metadata: failing.isEmpty ? [:] : ["failing": "\(failing.joined(separator: ", "))"])
                previous = report.overall
            }
            try? await Task.sleep(for: interval)
        }
        await evaluator.close()
    }

    /// `/health`: the latest report as JSON; 200 unless OVERALL is FAIL (503), 503 before the first one.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ -> Response in
            guard let report = self.latestReport else {
                return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: .init(string: "{\"overall\":\"FAIL\",\"detail\":\"first evaluation pending\"}\n")))
            }
            return Response(status: report.overall == .fail ? .serviceUnavailable : .ok,
                            headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: report.json())))
        }
    }
}

/// The report as Prometheus gauges (base units: seconds, ratio 0–1, messages).
enum HealthMetrics {
    static func record(_ report: HealthReport) {
        for feed in report.feeds {
            let dimensions = [("source", feed.feed.source.rawValue), ("instrument", feed.feed.instrument.description)]
            if let lag = feed.lagSeconds { Gauge(label: "tickbus_health_source_lag_seconds", dimensions: dimensions).record(lag) }
            if let fill = feed.fillRate { Gauge(label: "tickbus_health_source_fill_ratio", dimensions: dimensions).record(fill) }
        }
        for group in report.groups {
            let dimensions = [("group", group.group.groupID), ("role", group.group.role.rawValue)]
            if let messages = group.lagMessages { Gauge(label: "tickbus_health_consumer_lag_messages", dimensions: dimensions).record(messages) }
            if let seconds = group.lagSeconds { Gauge(label: "tickbus_health_consumer_lag_seconds", dimensions: dimensions).record(seconds) }
        }
        if let freshness = report.sinkFreshnessSeconds { Gauge(label: "tickbus_health_sink_freshness_seconds").record(freshness) }
        for check in report.checks {
            // 0 PASS, 1 WARN, 2 FAIL, -1 SKIP
            let code: Double = switch check.status { case .pass: 0; case .warn: 1; case .fail: 2; case .skip: -1 }
            Gauge(label: "tickbus_health_check_status", dimensions: [("check", check.name)]).record(code)
        }
        Gauge(label: "tickbus_health_overall_pass").record(report.overall == .pass ? 1 : 0)
        Gauge(label: "tickbus_health_last_evaluation_timestamp_seconds").record(Double(report.generatedAt) / 1e6)
    }
}
