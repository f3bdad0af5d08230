import Foundation
public import Logging
import Metrics
public import Prometheus
public import ServiceLifecycle

/// The frame of every long-running Tickbus process: Prometheus metrics bootstrapped once, a logger at
/// `TICKBUS_LOG_LEVEL` (default `info`), and one `ServiceGroup` with the probes first up and the readiness
/// gate first down (so `/readyz` turns 503 as soon as graceful shutdown begins).
public struct ProbedProcess: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let logger: Logger
    private let port: Int

    /// Call once per process, before creating anything that records metrics.
    public static func bootstrap(label: String, metricsPort port: Int) -> ProbedProcess {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["TICKBUS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return ProbedProcess(registry: registry, logger: logger, port: port)
    }

    /// Runs `services` (started in order, shut down in reverse) until SIGTERM or SIGINT.
    public func run(_ services: [any Service]) async throws {
        let probes = ProbeServer(configuration: .init(port: port), registry: registry, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [probes] + services + [ReadinessGate(probes: probes)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
