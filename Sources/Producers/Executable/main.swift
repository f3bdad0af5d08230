import ArgumentParser
import Producers

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: ProducersService.name,
        abstract: "Tickbus producer (one process per source).",
        subcommands: [Run.self, Normalize.self, Replay.self]
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "producer (one process per source): 'run' (not implemented yet, see \(ProducersService.plannedIn)).")

    func run() throws {
        throw ValidationError("'producer run' is not implemented yet (\(ProducersService.plannedIn))")
    }
}

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "producer (one process per source): 'normalize' (not implemented yet, see \(ProducersService.plannedIn)).")

    func run() throws {
        throw ValidationError("'producer normalize' is not implemented yet (\(ProducersService.plannedIn))")
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "producer (one process per source): 'replay' (not implemented yet, see \(ProducersService.plannedIn)).")

    func run() throws {
        throw ValidationError("'producer replay' is not implemented yet (\(ProducersService.plannedIn))")
    }
}

Command.main()
