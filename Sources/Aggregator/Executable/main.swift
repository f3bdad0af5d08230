import ArgumentParser
import Aggregator

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: AggregatorService.name,
        abstract: "Tickbus aggregator (1-second snapshots, 15-minute windows, spreads).",
        subcommands: [Run.self, Replay.self]
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "aggregator (1-second snapshots, 15-minute windows, spreads): 'run' (not implemented yet, see \(AggregatorService.plannedIn)).")

    func run() throws {
        throw ValidationError("'aggregator run' is not implemented yet (\(AggregatorService.plannedIn))")
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "aggregator (1-second snapshots, 15-minute windows, spreads): 'replay' (not implemented yet, see \(AggregatorService.plannedIn)).")

    func run() throws {
        throw ValidationError("'aggregator replay' is not implemented yet (\(AggregatorService.plannedIn))")
    }
}

Command.main()
