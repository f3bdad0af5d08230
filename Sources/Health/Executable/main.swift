import ArgumentParser
import Foundation
import Health
import Logging
import TickbusCLI
import TickbusTelemetry

struct Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: HealthService.name,
        abstract: "Tickbus health: per-source lag and fill rate, consumer lag, sink freshness, the open Chainlink window.",
        subcommands: [Serve.self, Check.self]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve /health (JSON; 503 when OVERALL is FAIL), /metrics, /livez and /readyz, re-evaluating every --interval seconds.")

    @OptionGroup var options: HealthOptions

    @Option(help: "Seconds between evaluations (env TICKBUS_HEALTH_INTERVAL_SECONDS; default 5).")
    var interval: String?

    @Option(help: "Port of /health, /metrics, /livez, /readyz on TICKBUS_METRICS_HOST (default 127.0.0.1); 0 picks a free one (env TICKBUS_METRICS_PORT; default 9467).")
    var metricsPort: String?

    func run() async throws {
        let (configuration, client) = try options.resolve(clientID: "tickbus-health")
        let seconds = try integerSetting(
            interval, environment: "TICKBUS_HEALTH_INTERVAL_SECONDS", option: "--interval", default: 5, range: 1...3600)
        let process = ProbedProcess.bootstrap(label: "health", metricsPort: try TickbusCLI.metricsPort(metricsPort, default: 9467))
        process.logger.info("health starting", metadata: [
            "postgres": "\(configuration.postgres)", "feeds": "\(configuration.feeds.map(\.description).joined(separator: ", "))"])
        let evaluator = HealthEvaluator(configuration: configuration, client: client, logger: process.logger)
        let probes = LateBound<ProbeServer>()
        let service = HealthService(evaluator: evaluator, interval: .seconds(seconds), logger: process.logger) {
            probes.value?.setReady(true)
        }
        let server = process.probes(ready: false) { router in service.addRoutes(to: router) }
        probes.value = server
        try await process.run([service], probes: server)
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the health report once; exit 0 when OVERALL is PASS, 1 when FAIL, 2 when it could not check.")

    @OptionGroup var options: HealthOptions

    @Flag(help: "Print the /health JSON instead of the table.")
    var json = false

    func run() async throws {
        let (configuration, client) = try options.resolve(clientID: "tickbus-health-check")
        var logger = Logger(label: "health")
        logger.logLevel = ProcessInfo.processInfo.environment["TICKBUS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        let evaluator = HealthEvaluator(configuration: configuration, client: client, logger: logger)
        let report = await evaluator.evaluate()
        await evaluator.close()
        print(json ? report.json() : report.text(), terminator: "")
        Foundation.exit(report.overall == .fail ? 1 : 0)
    }
}

/// Set once after construction: the probe server is built after the service that marks it ready.
final class LateBound<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?
    var value: Value? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

await runCommandExitingOnBadSettings(Command.self)
