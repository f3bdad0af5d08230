public import Hummingbird
public import Logging
public import Prometheus
public import ServiceLifecycle
import Synchronization

/// The HTTP probes every Tickbus process serves: `/metrics` (Prometheus text), `/livez` (the process
/// answers), `/readyz` (200 while ready, 503 once graceful shutdown began or before ``setReady(_:)``).
public final class ProbeServer: Service, Sendable {
    public struct Configuration: Sendable {
        /// Listen address. Default: 127.0.0.1.
        public var host = "127.0.0.1"
        /// Port; 0 picks a free one. Default: 9464.
        public var port = 9464

        public init(host: String = "127.0.0.1", port: Int = 9464) {
            self.host = host
            self.port = port
        }
    }

    public let registry: PrometheusCollectorRegistry
    private let configuration: Configuration
    private let logger: Logger
    private let ready: Mutex<Bool>
    private let boundPort = BoundPort()
    private let extraRoutes: (@Sendable (Router<BasicRequestContext>) -> Void)?

    /// `routes` adds a process's own endpoints next to the probes (the health service's `/health`);
    /// `ready` is the initial readiness.
    public init(
        configuration: Configuration, registry: PrometheusCollectorRegistry, logger: Logger,
        ready: Bool = true, routes: (@Sendable (Router<BasicRequestContext>) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.ready = Mutex(ready)
        self.extraRoutes = routes
    }

    public func setReady(_ value: Bool) {
        ready.withLock { $0 = value }
    }

    /// The port once listening.
    public func port() async -> Int { await boundPort.value() }

    public func run() async throws {
        let router = Router()
        extraRoutes?(router)
        router.get("/livez") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let isReady = self.ready.withLock { $0 }
            return Response(status: isReady ? .ok : .serviceUnavailable, body: .init(byteBuffer: .init(string: isReady ? "ready\n" : "not ready\n")))
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            self.registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: .init(bytes: buffer)))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in self.boundPort.set(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await withGracefulShutdownHandler {
            try await app.run()
        } onGracefulShutdown: {
            self.setReady(false)
        }
    }
}

/// Put last in a `ServiceGroup`: graceful shutdown reaches it first, so `/readyz` turns 503 before any
/// other service starts draining, while `/metrics` (the probe server, first in the group) stays up.
public struct ReadinessGate: Service {
    let probes: ProbeServer

    public init(probes: ProbeServer) {
        self.probes = probes
    }

    public func run() async throws {
        try? await gracefulShutdown()
        probes.setReady(false)
    }
}
