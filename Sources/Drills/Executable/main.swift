import ArgumentParser
import Foundation
import Logging
import TickbusDrills
import TickbusMarket

/// `drills`: starts the demo pipeline with its own broker (behind a TCP proxy) and Postgres, runs the fault
/// drills one at a time, checks the invariants after each and prints the table (docs/reliability.md).
@main
struct DrillsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drills",
        abstract: "Fault drills against the demo pipeline: broker link cut, Postgres outage, kill -9, venue stall, malformed flood.")

    @Option(help: "Drills to run, comma-separated (default: all, in order: \(DrillKind.allCases.map(\.rawValue).joined(separator: ","))).")
    var drills: String?
    @Option(help: "Data frames per second per simulated source.")
    var rate: Double = 200
    @Option(help: "Seconds each fault lasts (link cut, outage, stall, flood).")
    var faultSeconds: Int = 20
    @Option(help: "Seconds within which health must be PASS again after a fault.")
    var recoveryBound: Int = 90
    @Option(help: "Directory of the built executables.")
    var bin = ".build/release"
    @Option(help: "Working directory of the drills' broker, Postgres, pid files and logs (kept for inspection).")
    var directory = ".run/drills"
    @Option(help: "Markdown file whose table between the drill-results markers is replaced with this run's.")
    var report: String?
    @Option(help: "First of five consecutive loopback ports: broker, proxy, Postgres, health, venue-sim.")
    var basePort = 19390

    func validate() throws {
        _ = try selected()
        guard rate > 0 else { throw ValidationError("--rate: must be positive") }
        guard faultSeconds > 0 else { throw ValidationError("--fault-seconds: must be positive") }
        guard (1024...65530).contains(basePort) else { throw ValidationError("--base-port: expected 1024-65530") }
    }

    func selected() throws -> [DrillKind] {
        guard let drills else { return DrillKind.allCases }
        return try drills.split(separator: ",").map {
            guard let kind = DrillKind(rawValue: String($0)) else { throw ValidationError("--drills: unknown drill '\($0)'") }
            return kind
        }
    }

    func run() async throws {
        let root = FileManager.default.currentDirectoryPath
        let absolute = { (path: String) in path.hasPrefix("/") ? path : root + "/" + path }
        var configuration = DrillPipeline.Configuration(repositoryRoot: root, binaries: absolute(bin), directory: absolute(directory))
        configuration.rate = rate
        (configuration.brokerPort, configuration.proxyPort, configuration.postgresPort, configuration.healthPort, configuration.simulatorPort)
            = (basePort, basePort + 1, basePort + 2, basePort + 3, basePort + 4)
        try? FileManager.default.removeItem(atPath: configuration.directory)
        let pipeline = DrillPipeline(configuration: configuration)
        var options = DrillRunner.Options()
        options.faultDuration = .seconds(faultSeconds)
        options.recoveryBound = .seconds(recoveryBound)
        var logger = Logger(label: "drills")
        logger.logLevel = .error
        let started = Date()
        // Unbuffered, so progress shows as it happens also when the output goes to a file.
        let say: @Sendable (String) -> Void = {
            FileHandle.standardOutput.write(Data("[\(Int(Date().timeIntervalSince(started)))s] \($0)\n".utf8))
        }
        say("starting the demo pipeline (\(configuration.sources.count) sources at \(rate) frames/s each) in \(configuration.directory)")
        // Ctrl-C or TERM: stop the pipeline (fifteen processes, a broker, Postgres) before leaving.
        let interruptions = ([SIGINT, SIGTERM] as [Int32]).map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                say("interrupted; stopping the pipeline")
                pipeline.stopProcesses()
                Foundation.exit(130)
            }
            source.resume()
            return source
        }
        defer { interruptions.forEach { $0.cancel() } }
        let outcome: (results: [DrillResult], final: DrillResult)
        do {
            try await pipeline.start()
            outcome = try await DrillRunner(pipeline: pipeline, options: options, logger: logger, progress: say).run(try selected())
        } catch {
            say("error: \(error)")
            await pipeline.stop()
            throw ExitCode(2)
        }
        await pipeline.stop()
        let table = DrillReport.table(outcome.results, final: outcome.final)
        print("\n" + table)
        let failures = DrillReport.violations(outcome.results + [outcome.final])
        if !failures.isEmpty { print("\nViolations:\n" + failures) }
        print("\nTotal \(Int(Date().timeIntervalSince(started))) s.")
        if let report { try write(table, into: absolute(report), seconds: Int(Date().timeIntervalSince(started))) }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    /// Replaces what lies between `<!-- drill-results -->` and `<!-- /drill-results -->`.
    func write(_ table: String, into path: String, seconds: Int) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let open = text.range(of: "<!-- drill-results -->"), let close = text.range(of: "<!-- /drill-results -->") else {
            throw ValidationError("--report: \(path) has no <!-- drill-results --> … <!-- /drill-results --> markers")
        }
        let date = ISO8601DateFormatter().string(from: Date())
        let host = ProcessInfo.processInfo.hostName
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory >> 30
        let block = "\n\(date) on \(host) (\(cores) cores, \(memory) GiB), \(rate) frames/s per source, faults of \(faultSeconds) s, \(seconds) s in all:\n\n\(table)\n"
        try (text[..<open.upperBound] + block + text[close.lowerBound...]).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
