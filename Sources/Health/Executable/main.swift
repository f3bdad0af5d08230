import ArgumentParser
import Health

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: HealthService.name,
        abstract: "Tickbus health service.",
        subcommands: [Serve.self, Check.self]
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "health service: 'serve' (not implemented yet, see \(HealthService.plannedIn)).")

    func run() throws {
        throw ValidationError("'health serve' is not implemented yet (\(HealthService.plannedIn))")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "health service: 'check' (not implemented yet, see \(HealthService.plannedIn)).")

    func run() throws {
        throw ValidationError("'health check' is not implemented yet (\(HealthService.plannedIn))")
    }
}

Command.main()
