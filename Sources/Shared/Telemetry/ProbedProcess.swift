import Foundation
public import Hummingbird
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

    /// The probe server on the process's metrics port, for a process that serves its own routes too or
    /// decides itself when it is ready (pass it to ``run(_:probes:)``).
    public func probes(ready: Bool = true, routes: (@Sendable (Router<BasicRequestContext>) -> Void)? = nil) -> ProbeServer {
        ProbeServer(configuration: .init(host: Self.host, port: port), registry: registry, logger: logger, ready: ready, routes: routes)
    }

    /// Where the probes listen: `TICKBUS_METRICS_HOST` (`0.0.0.0` in containers, so Kubernetes probes and
    /// Prometheus reach them), default 127.0.0.1.
    static var host: String {
        let value = ProcessInfo.processInfo.environment["TICKBUS_METRICS_HOST"] ?? ""
        return value.isEmpty ? "127.0.0.1" : value
    }

    /// Runs `services` (started in order, shut down in reverse) until SIGTERM or SIGINT.
    public func run(_ services: [any Service], probes: ProbeServer? = nil) async throws {
        let probes = probes ?? self.probes()
        let group = ServiceGroup(configuration: .init(
            services: [probes] + services + [ReadinessGate(probes: probes)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
