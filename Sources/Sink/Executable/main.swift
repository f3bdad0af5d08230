import ArgumentParser
import Sink

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: SinkService.name,
        abstract: "Tickbus sink (Postgres writer).",
        subcommands: [Run.self, Migrate.self, Retention.self]
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "sink (Postgres writer): 'run' (not implemented yet, see \(SinkService.plannedIn)).")

    func run() throws {
        throw ValidationError("'sink run' is not implemented yet (\(SinkService.plannedIn))")
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "sink (Postgres writer): 'migrate' (not implemented yet, see \(SinkService.plannedIn)).")

    func run() throws {
        throw ValidationError("'sink migrate' is not implemented yet (\(SinkService.plannedIn))")
    }
}

struct Retention: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "sink (Postgres writer): 'retention' (not implemented yet, see \(SinkService.plannedIn)).")

    func run() throws {
        throw ValidationError("'sink retention' is not implemented yet (\(SinkService.plannedIn))")
    }
}

Command.main()
