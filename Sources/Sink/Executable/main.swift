import ArgumentParser
import Foundation
import Logging
import Sink
import TickbusCLI
import TickbusTelemetry

struct Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Tickbus sink: every Tickbus topic into Postgres (daily partitions, retention, dashboard views).",
        subcommands: [Run.self, Migrate.self, Retention.self]
    )
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume every Tickbus topic as group 'sink' and write it to Postgres, exactly once per natural key.")

    @OptionGroup var postgres: PostgresOptions
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var retention: RetentionOptions

    @Option(help: "Consumer group (env TICKBUS_SINK_GROUP; default sink).")
    var group: String?

    @Option(help: "Most rows per transaction (env TICKBUS_SINK_BATCH_ROWS; default 20000).")
    var batchRows: String?

    @Option(help: "Longest a record waits to be written, ms (env TICKBUS_SINK_BATCH_DELAY_MS; default 250).")
    var batchDelayMs: String?

    @Option(help: "Seconds between partition maintenance passes (env TICKBUS_SINK_MAINTENANCE_SECONDS; default 600).")
    var maintenanceSeconds: String?

    @Option(help: "Port of /metrics, /livez, /readyz on TICKBUS_METRICS_HOST (default 127.0.0.1); 0 picks a free one (env TICKBUS_METRICS_PORT; default 9466).")
    var metricsPort: String?

    func run() async throws {
        var service = SinkService.Configuration()
        service.postgres = try postgres.resolve(applicationName: "tickbus-sink")
        let (client, topics, partitions) = try kafka.resolve(clientID: "tickbus-sink")
        service.topics = topics
        service.deadLetterPartitions = min(partitions, 3)
        service.groupID = group ?? ProcessInfo.processInfo.environment["TICKBUS_SINK_GROUP"] ?? "sink"
        try retention.apply(to: &service)
        service.batchRows = try integerSetting(
            batchRows, environment: "TICKBUS_SINK_BATCH_ROWS", option: "--batch-rows", default: 20_000, range: 1...1_000_000)
        service.batchDelay = .milliseconds(try integerSetting(
            batchDelayMs, environment: "TICKBUS_SINK_BATCH_DELAY_MS", option: "--batch-delay-ms", default: 250, range: 1...60_000))
        service.maintenanceInterval = .seconds(try integerSetting(
            maintenanceSeconds, environment: "TICKBUS_SINK_MAINTENANCE_SECONDS", option: "--maintenance-seconds",
            default: 600, range: 1...86_400))
        let process = ProbedProcess.bootstrap(label: "sink", metricsPort: try TickbusCLI.metricsPort(metricsPort, default: 9466))
        process.logger.info("sink starting", metadata: ["postgres": "\(service.postgres)", "group": "\(service.groupID)"])
        try await process.run([SinkService(configuration: service, client: client, logger: process.logger)])
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the schema migrations not yet applied (safe to run concurrently; also done by 'sink run').")

    @OptionGroup var postgres: PostgresOptions

    func run() async throws {
        let settings = try postgres.resolve(applicationName: "tickbus-sink-migrate")
        let logger = Logger(label: "sink")
        let connection = try await settings.connect(logger: logger)
        defer { Task { try? await connection.close() } }
        let migrator = SchemaMigrator(logger: logger)
        let applied = try await migrator.migrate(connection)
        let version = try await migrator.currentVersion(connection)
        print(applied.isEmpty ? "schema is current (version \(version))"
                              : "applied \(applied.map(String.init).joined(separator: ", ")); schema version \(version)")
        try await connection.close()
    }
}

struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create partitions ahead and drop those past their table's retention ('--dry-run' only lists them).")

    @OptionGroup var postgres: PostgresOptions
    @OptionGroup var retention: RetentionOptions

    @Flag(help: "List what would be dropped; change nothing.")
    var dryRun = false

    func run() async throws {
        var service = SinkService.Configuration()
        service.postgres = try postgres.resolve(applicationName: "tickbus-sink-retention")
        try retention.apply(to: &service)
        let report = try await SinkService.maintainOnce(configuration: service, dryRun: dryRun, logger: Logger(label: "sink"))
        for partition in report.dropped { print("\(dryRun ? "would drop" : "dropped") \(partition.name)") }
        if !dryRun { for partition in report.created { print("created \(partition.name)") } }
        if report.dropped.isEmpty { print("nothing past its retention") }
    }
}

await runCommandExitingOnBadSettings(Command.self)
