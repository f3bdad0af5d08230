import Aggregator
import ArgumentParser
import Foundation
import TickbusCLI
import TickbusTelemetry

struct Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator",
        abstract: "Tickbus aggregator: 1-second snapshots, 15-minute windows and spreads from ticks.",
        subcommands: [Run.self, Replay.self]
    )
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Consume ticks.* as group 'aggregator'; publish snapshots.1s, windows.15m and spreads.1s.")

    @OptionGroup var rules: RuleOptions
    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Consumer group (env TICKBUS_AGGREGATOR_GROUP; default aggregator).")
    var group: String?

    @Option(help: "Port of /metrics, /livez, /readyz on TICKBUS_METRICS_HOST (default 127.0.0.1); 0 picks a free one (env TICKBUS_METRICS_PORT; default 9465).")
    var metricsPort: String?

    func run() async throws {
        var service = AggregatorService.Configuration()
        service.rules = try rules.configuration()
        let (client, topics, partitions) = try kafka.resolve(clientID: "tickbus-aggregator")
        service.topics = topics
        service.outputPartitions = partitions
        service.groupID = group ?? ProcessInfo.processInfo.environment["TICKBUS_AGGREGATOR_GROUP"] ?? "aggregator"
        let process = ProbedProcess.bootstrap(label: "aggregator", metricsPort: try TickbusCLI.metricsPort(metricsPort, default: 9465))
        try await process.run([AggregatorService(configuration: service, client: client, logger: process.logger)])
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tick JSON lines on stdin to snapshot, window and spread JSON lines on stdout (event time only).")

    @OptionGroup var rules: RuleOptions

    func run() throws {
        let configuration = try rules.configuration()
        let counters = try AggregatorReplay.run(input: 0, output: 1, configuration: configuration) { message in
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        let summary = "ticks \(counters.accepted) accepted, \(counters.late) late, \(counters.unpriced) unpriced, "
            + "\(counters.invalid) invalid; records: \(counters.snapshots) snapshots, \(counters.windows) windows, "
            + "\(counters.spreads) spreads; peak memory \(peakResidentKiB()) KiB\n"
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

/// VmHWM of this process image (not inherited across exec, unlike getrusage's ru_maxrss).
func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return -1 }
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
}

await runCommandExitingOnBadSettings(Command.self)
