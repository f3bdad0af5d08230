public import Foundation
public import TickbusKafka
public import TickbusMarket
public import TickbusPostgres
public import VenueSim

/// The demo pipeline a drill runs against, all of it its own: a broker behind a ``TCPProxy`` (the broker
/// advertises the proxy, so every client goes through it), a Postgres data directory, venue-sim, one producer
/// per source, the aggregator, the sink and health, started and stopped by `scripts/run` as a user would.
public final class DrillPipeline: Sendable {
    public struct Configuration: Sendable {
        /// The repository (its scripts start everything).
        public var repositoryRoot: String
        /// Directory of the built executables (`producer`, `aggregator`, `sink`, `health`, `venue-sim`).
        public var binaries: String
        /// Where the broker's and Postgres's data, pid files and logs go; created, and left for inspection.
        public var directory: String
        /// Simulated sources. Default: every source venue-sim serves with its own (or RTDS's) protocol, the
        /// Polymarket-relayed oracles over RTDS (venue-sim injects its bad frames there; its PolyBolt has
        /// no malformed-frame faults), so pyth (PolyBolt only) is not among them.
        public var sources: [SourceID] = SimulatedProtocol.supported
        /// Data frames per second per simulated source. Default: 200.
        public var rate: Double = 200
        public var brokerPort = 19392
        public var proxyPort = 19393
        public var postgresPort = 15532
        public var healthPort = 19467
        public var simulatorPort = 19600
        /// Topic prefix, database and group names of the drills' pipeline.
        public var prefix = "drill."
        public var database = "tickbus_drills"

        public init(repositoryRoot: String, binaries: String, directory: String) {
            self.repositoryRoot = repositoryRoot
            self.binaries = binaries
            self.directory = directory
        }
    }

    public let configuration: Configuration
    public let proxy: TCPProxy

    public init(configuration: Configuration) {
        self.configuration = configuration
        proxy = TCPProxy(port: configuration.proxyPort, targetPort: configuration.brokerPort)
    }

    var aggregatorGroup: String { configuration.prefix + "aggregator" }
    var sinkGroup: String { configuration.prefix + "sink" }

    /// What `scripts/run` and `scripts/dev-services` are run with (on top of the caller's environment; the
    /// broker and database settings `scripts/run` takes from `dev-services env` of this directory).
    var environment: [String: String] {
        [
            "TICKBUS_RUN_DIR": configuration.directory + "/services",
            "TICKBUS_PIPELINE_DIR": configuration.directory + "/pipeline",
            "TICKBUS_RUN_BIN": configuration.binaries,
            "TICKBUS_RUN_FIXED_PORTS": "0",
            "TICKBUS_RUN_SOURCES": configuration.sources.map(\.rawValue).joined(separator: ","),
            "TICKBUS_BROKER_PORT": String(configuration.brokerPort),
            "TICKBUS_BROKER_ADVERTISED_PORT": String(configuration.proxyPort),
            "TICKBUS_PG_PORT": String(configuration.postgresPort),
            "TICKBUS_HEALTH_PORT": String(configuration.healthPort),
            "TICKBUS_SIM_PORT": String(configuration.simulatorPort),
            "TICKBUS_SIM_RATE": String(configuration.rate),
            "TICKBUS_TOPIC_PREFIX": configuration.prefix,
            "TICKBUS_PG_DATABASE": configuration.database,
            "TICKBUS_AGGREGATOR_GROUP": aggregatorGroup,
            "TICKBUS_SINK_GROUP": sinkGroup,
            "TICKBUS_HEALTH_INTERVAL_SECONDS": "1",
            "TICKBUS_RELAY": "rtds",
        ]
    }

    /// Names `scripts/run` supervises, each with a pid file and a log.
    public var services: [String] {
        ["venue-sim", "sink", "aggregator", "health"] + configuration.sources.map { "producer-" + $0.rawValue }
    }

    // MARK: Start and stop

    public func start() async throws {
        try FileManager.default.createDirectory(atPath: configuration.directory, withIntermediateDirectories: true)
        try await proxy.restore()
        let started = try script("run", ["start", "--demo"], deadline: 300)
        guard started.status == 0 else { throw DrillError("scripts/run start failed: \(started.output)") }
    }

    /// Producers first, then the rest drains and stops, then the broker and Postgres.
    public func stop() async {
        stopProcesses()
        await proxy.shutdown()
    }

    /// The same without the proxy (from a signal handler, before exiting).
    public func stopProcesses() {
        _ = try? script("run", ["stop"], deadline: 300)
    }

    public func stopProducers() throws {
        let stopped = try script("run", ["stop", "producers"], deadline: 120)
        guard stopped.status == 0 else { throw DrillError("stopping the producers failed: \(stopped.output)") }
    }

    public func stopPostgres() throws {
        let stopped = try script("dev-services", ["stop", "postgres"], deadline: 60)
        guard stopped.status == 0 else { throw DrillError("stopping Postgres failed: \(stopped.output)") }
    }

    public func startPostgres() throws {
        let started = try script("dev-services", ["start", "postgres"], deadline: 60)
        guard started.status == 0 else { throw DrillError("starting Postgres failed: \(started.output)") }
    }

    func script(_ name: String, _ arguments: [String], deadline: Double) throws -> (status: Int32, output: String) {
        try runExecutable(configuration.repositoryRoot + "/scripts/" + name, arguments, environment: environment, deadline: deadline)
    }

    // MARK: Processes

    /// The process a supervisor runs now (its child), found through /proc.
    public func processID(of service: String) -> pid_t? {
        let pidFile = configuration.directory + "/pipeline/\(service).pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let supervisor = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after "(comm)": state, ppid, …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == supervisor { return pid }
        }
        return nil
    }

    /// SIGKILL to the service's process (its supervisor restarts it a second later); the pid killed.
    @discardableResult
    public func kill9(_ service: String) throws -> pid_t {
        guard let pid = processID(of: service) else { throw DrillError("\(service) is not running") }
        guard kill(pid, SIGKILL) == 0 else { throw DrillError("kill -9 \(pid) (\(service)) failed: errno \(errno)") }
        return pid
    }

    /// Resident memory of the service's process, bytes.
    public func residentBytes(_ service: String) -> Int? {
        guard let pid = processID(of: service),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    /// How often the service's process has exited (its supervisor writes one line per exit into its log).
    public func exits(_ service: String) -> Int {
        let log = (try? String(contentsOfFile: configuration.directory + "/pipeline/logs/\(service).log", encoding: .utf8)) ?? ""
        return log.components(separatedBy: "supervisor: \(service) exited").count - 1
    }

    // MARK: Health, simulator, data

    /// `/health`: 200 is OVERALL PASS (or WARN), 503 FAIL or not evaluated yet.
    public func health() -> (status: Int, body: String) {
        (try? curl("http://127.0.0.1:\(configuration.healthPort)/health")) ?? (-1, "")
    }

    public func control(_ source: SourceID, _ fault: String, query: String = "") throws {
        let url = "http://127.0.0.1:\(configuration.simulatorPort)/control/\(source.rawValue)/\(fault)\(query.isEmpty ? "" : "?" + query)"
        let result = try runExecutable("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", url], deadline: 15)
        guard result.output == "200" else { throw DrillError("venue-sim refused \(fault) for \(source) (HTTP \(result.output))") }
    }

    public func simulatorStatistics(_ source: SourceID) throws -> VenueSimulator.Statistics {
        let answer = try curl("http://127.0.0.1:\(configuration.simulatorPort)/control/\(source.rawValue)/stats")
        guard answer.status == 200 else { throw DrillError("venue-sim stats of \(source): HTTP \(answer.status)") }
        return try JSONDecoder().decode(VenueSimulator.Statistics.self, from: Data(answer.body.utf8))
    }

    public var kafka: KafkaConfiguration {
        var client = KafkaConfiguration(bootstrapServers: ["127.0.0.1:\(configuration.proxyPort)"])
        client.statisticsInterval = nil
        return client
    }

    public var postgres: PostgresSettings {
        var settings = PostgresSettings()
        settings.port = configuration.postgresPort
        settings.database = configuration.database
        settings.sslMode = .disable
        settings.applicationName = "tickbus-drills"
        settings.password = (try? String(contentsOfFile: configuration.directory + "/services/pg/password", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return settings
    }

    public func tickTopics() -> [String] { configuration.sources.map { configuration.prefix + "ticks." + $0.rawValue } }
}

public struct DrillError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
