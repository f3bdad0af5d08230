import ArgumentParser
import Logging
import TickbusMarket
import VenueSim

/// `venue-sim`: local simulators of the implemented sources for the offline demo and tests.
@main
struct VenueSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "venue-sim",
        abstract: "Loopback WebSocket simulators speaking each source's protocol (ws://127.0.0.1:PORT/<source>).",
        discussion: """
            Faults at runtime: curl -X POST http://127.0.0.1:PORT/control/<source>/<disconnect|stall|resume|reject|accept|malformed>
            Bad frames of a kind: curl -X POST 'http://127.0.0.1:PORT/control/<source>/malformed?kind=<types|truncated|utf8|oversized|gzip|protobuf>&count=N'
            What was sent: curl http://127.0.0.1:PORT/control/<source>/stats
            Refuse upgrades (region block): curl -X POST 'http://127.0.0.1:PORT/control/<source>/refuse?status=451' (admit undoes)
            PolyBolt at ws://127.0.0.1:PORT/polybolt (demo credentials tickbus-demo-key / -secret / -passphrase):
              curl -X POST 'http://127.0.0.1:PORT/control/polybolt/<silent|resume|ignore-provider|honour-provider>'
              curl -X POST 'http://127.0.0.1:PORT/control/polybolt/drop?count=N'   curl -X POST '…/polybolt/close?code=4003'
            """)

    @Option(help: "Port (env TICKBUS_SIM_PORT).")
    var port: Int = 19500
    @Option(help: "Address to listen on; 0.0.0.0 in a container (default 127.0.0.1).")
    var host = "127.0.0.1"
    @Option(help: "Data frames per second per connection.")
    var rate: Double = 20
    @Option(help: "Sources to serve, comma-separated (default: all implemented).")
    var sources: String?
    @Option(help: "Reject subscriptions of these sources, comma-separated.")
    var reject: String?
    @Option(help: "Send a malformed frame after every N data frames (0: never).")
    var malformedEvery = 0
    @Option(help: "Seconds between server WebSocket pings (Binance's keepalive; unanswered → disconnect).")
    var pingSeconds: Double = 20

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port: expected 0-65535") }
        guard rate > 0 else { throw ValidationError("--rate: must be positive") }
        guard pingSeconds >= 0.05 else { throw ValidationError("--ping-seconds: must be at least 0.05") }
        _ = try Self.parseSources(sources)
        _ = try Self.parseSources(reject)
    }

    static func parseSources(_ text: String?) throws -> [SourceID]? {
        guard let text else { return nil }
        // pyth exists only on PolyBolt, which /polybolt always serves.
        return try text.split(separator: ",").compactMap {
            guard let source = SourceID(rawValue: String($0)), SimulatedProtocol.supported.contains(source) || source == .pyth else {
                throw ValidationError("unknown or unsimulated source '\($0)' (simulated: \(SimulatedProtocol.supported.map(\.rawValue).joined(separator: ",")),pyth)")
            }
            return source == .pyth ? nil : source
        }
    }

    func run() async throws {
        var configuration = VenueSimulator.Configuration()
        configuration.port = port
        configuration.host = host
        configuration.rate = rate
        configuration.malformedEvery = malformedEvery
        configuration.recordsSentPrices = false
        configuration.pingInterval = .milliseconds(Int64(pingSeconds * 1000))
        if let list = try Self.parseSources(sources) { configuration.sources = list }
        if let list = try Self.parseSources(reject) { configuration.rejectSubscriptions = Set(list) }
        var logger = Logger(label: "venue-sim")
        logger.logLevel = .info
        let simulator = VenueSimulator(configuration: configuration, logger: logger)
        try await simulator.run()
    }
}
