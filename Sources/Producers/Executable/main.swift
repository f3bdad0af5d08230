import ArgumentParser
import Foundation
import Producers
import TickbusMarket

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer",
        abstract: "Tickbus producer: one process per source, live WebSocket data to Kafka ticks.",
        subcommands: [Run.self, Normalize.self, Replay.self]
    )
}

struct SourceOptions: ParsableArguments {
    @Option(help: "Source id: \(SourceID.allCases.map(\.rawValue).joined(separator: ", ")) (env TICKBUS_SOURCE).")
    var source: String?

    @Option(name: .customLong("instrument"), help: "Canonical instrument, repeatable (default: the source's markets; env TICKBUS_INSTRUMENTS, comma-separated).")
    var instruments: [String] = []

    func adapter() throws -> any VenueAdapter {
        let environment = ProcessInfo.processInfo.environment
        guard let sourceText = source ?? environment["TICKBUS_SOURCE"] else {
            throw ValidationError("--source (TICKBUS_SOURCE) is required")
        }
        guard let source = SourceID(rawValue: sourceText) else {
            throw ValidationError("--source: unknown source '\(sourceText)'")
        }
        var texts = instruments
        if texts.isEmpty, let fromEnvironment = environment["TICKBUS_INSTRUMENTS"] {
            texts = fromEnvironment.split(separator: ",").map(String.init)
        }
        let parsed: [Instrument]
        do {
            parsed = texts.isEmpty ? Adapters.defaultInstruments(for: source) : try texts.map { try Instrument($0) }
        } catch {
            throw ValidationError("--instrument: \(error)")
        }
        guard let adapter = Adapters.make(source, instruments: parsed) else {
            throw ValidationError("--source: '\(source)' has no adapter yet (implemented: \(Adapters.implemented.map(\.rawValue).joined(separator: ", ")))")
        }
        return adapter
    }
}

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Raw frames on stdin (one per line; binary as b64:<base64>) to tick JSON lines on stdout.")

    @OptionGroup var options: SourceOptions

    func run() throws {
        var normalizer = FrameNormalizer(adapter: try options.adapter())
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        var lineNumber = 0
        let reader = LineReader(fileDescriptor: 0)
        try reader.forEachLine { line in
            lineNumber += 1
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            if let problem = normalizer.normalize(line: line, receiveTime: now, output: &output) {
                FileHandle.standardError.write(Data("line \(lineNumber): \(problem)\n".utf8))
            }
            if output.count > (1 << 20) - 4096 {
                try writeAll(output, to: 1)
                output.removeAll(keepingCapacity: true)
            }
        }
        try writeAll(output, to: 1)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Live collection into Kafka (not implemented yet, issue #3).")
    func run() throws { throw ValidationError("'producer run' is not implemented yet (issue #3: supervisor and publisher)") }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Publish a raw-frame file into Kafka (not implemented yet, issue #3).")
    func run() throws { throw ValidationError("'producer replay' is not implemented yet (issue #3)") }
}

// Bad settings exit 2 (not ArgumentParser's 64) with a message naming the setting.
do {
    var command = try Command.parseAsRoot()
    try command.run()
} catch {
    let code = Command.exitCode(for: error)
    if code == .success { Command.exit(withError: error) }
    FileHandle.standardError.write(Data((Command.fullMessage(for: error) + "\n").utf8))
    exit(code == .validationFailure ? 2 : code.rawValue)
}
