import Aggregator
import ArgumentParser
import Foundation
import TickbusCLI

struct Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator",
        abstract: "Tickbus aggregator: 1-second snapshots, 15-minute windows and spreads from ticks.",
        subcommands: [Replay.self]
    )
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
            + "\(counters.invalid) invalid; records: \(counters.snapshots) snapshots, \(counters.windows) windows, \(counters.spreads) spreads\n"
        FileHandle.standardError.write(Data(summary.utf8))
    }
}

await runCommandExitingOnBadSettings(Command.self)
