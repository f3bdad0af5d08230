import Logging
import Prometheus
import ServiceLifecycle
import Testing
import TickbusTelemetry
import TickbusTestSupport

/// The probes every process serves: `/readyz` turns 503 as soon as graceful shutdown begins, while the
/// other services are still draining and `/metrics` and `/livez` still answer.
@Suite("probe server")
struct ReadinessTests {
    /// Takes `drain` to stop once shutdown begins, like a sink flushing its last batch.
    struct SlowToStop: Service {
        let drain: Duration
        func run() async throws {
            try? await gracefulShutdown()
            try? await Task.sleep(for: drain)
        }
    }

    @Test func readinessTurnsFalseWhenGracefulShutdownBeginsWhileTheRestDrains() async throws {
        let logger = Logger(label: "probe-test") { _ in SwiftLogNoOpLogHandler() }
        let probes = ProbeServer(configuration: .init(port: 0), registry: PrometheusCollectorRegistry(), logger: logger, ready: false)
        let group = ServiceGroup(configuration: .init(
            services: [probes, SlowToStop(drain: .seconds(3)), ReadinessGate(probes: probes)], logger: logger))
        let running = Task { try await group.run() }
        let port = await probes.port()
        #expect(try curl("http://127.0.0.1:\(port)/readyz").status == 503, "not ready until told")
        probes.setReady(true)
        #expect(try curl("http://127.0.0.1:\(port)/readyz").status == 200)
        await group.triggerGracefulShutdown()
        let notReady = try await eventually(within: .seconds(2)) { try curl("http://127.0.0.1:\(port)/readyz").status == 503 }
        #expect(notReady)
        // Still draining: the process answers and its metrics are still served.
        #expect(try curl("http://127.0.0.1:\(port)/livez").status == 200)
        #expect(try curl("http://127.0.0.1:\(port)/metrics").status == 200)
        try await running.value
        #expect((try? curl("http://127.0.0.1:\(port)/livez").status) != 200, "the probes stop last")
    }
}
