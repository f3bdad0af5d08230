import ArgumentParser
import Foundation
import Logging
import Producers
import TickbusCLI
import TickbusKafka
import TickbusMarket
import TickbusTelemetry

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "producer",
        abstract: "Tickbus producer: one process per source, live WebSocket data to Kafka ticks.",
        subcommands: [Run.self, Normalize.self, Replay.self, Sources.self]
    )
}

struct Sources: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the sources this build has adapters for, one per line (scripts/run starts one producer each).")

    func run() {
        for source in Adapters.implemented { print(source.rawValue) }
    }
}

struct SourceOptions: ParsableArguments {
    @Option(help: "Source id: \(SourceID.allCases.map(\.rawValue).joined(separator: ", ")) (env TICKBUS_SOURCE).")
    var source: String?

    @Option(name: .customLong("instrument"), help: "Canonical instrument, repeatable (default: the source's markets; env TICKBUS_INSTRUMENTS, comma-separated).")
    var instruments: [String] = []

    @Option(help: "Relay of chainlink_twap, chainlink and pyth: polybolt or rtds (env TICKBUS_RELAY; default polybolt when the Polymarket credentials TICKBUS_POLYMARKET_API_KEY/_SECRET/_PASSPHRASE are set, else rtds; pyth is polybolt only). Credentials come only from the environment or _FILE variants, never a flag.")
    var relay: String?

    @Option(help: "Seconds of the TWAP chainlink_twap records: 60 or 30 (env TICKBUS_TWAP_WINDOW; default 60, what the markets resolve on).")
    var twapWindow: String?

    /// The live adapter, relayed sources over the configured relay.
    func adapter() throws -> any VenueAdapter {
        try makeAdapter(recorded: false)
    }

    /// The adapter for recorded frames (`normalize`, `replay`): relayed sources accept both relays' frames.
    func recordedAdapter() throws -> any VenueAdapter {
        try makeAdapter(recorded: true)
    }

    private func makeAdapter(recorded: Bool) throws -> any VenueAdapter {
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
        let window = try TickbusCLI.integerSetting(twapWindow, environment: "TICKBUS_TWAP_WINDOW", option: "--twap-window",
                                                   default: 60, range: 1...3600)
        do {
            if recorded { return try Adapters.makeForRecordedFrames(source, instruments: parsed, twapWindowSeconds: window) }
            var settings = RelaySettings(twapWindowSeconds: window)
            if let relayText = relay ?? environment["TICKBUS_RELAY"] {
                guard let chosen = OracleRelay(rawValue: relayText.lowercased()) else {
                    throw ValidationError("--relay (TICKBUS_RELAY): expected polybolt or rtds, got '\(relayText)'")
                }
                settings.relay = chosen
            }
            settings.credentials = try PolymarketCredentials.load(from: environment)
            return try Adapters.make(source, instruments: parsed, relay: settings)
        } catch let error as RelaySettings.Invalid {
            throw ValidationError(error.description)
        } catch let error as PolymarketCredentials.ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Raw frames on stdin (one per line; binary as b64:<base64>) to tick JSON lines on stdout.")

    @OptionGroup var options: SourceOptions

    func run() throws {
        var normalizer = FrameNormalizer(adapter: try options.recordedAdapter())
        var output: [UInt8] = []
        output.reserveCapacity(1 << 20)
        var lineNumber = 0
        var reader = LineReader(fileDescriptor: 0)
        try reader.forEachLine { line in
            lineNumber += 1
            let now = WallClock.microseconds()
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

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Live collection: the venue's WebSocket, supervised, into ticks.<source>, dlq.producer and events.status.")

    @OptionGroup var options: SourceOptions
    @OptionGroup var kafka: KafkaOptions

    @Option(help: "WebSocket URL instead of the venue's public endpoint, e.g. a venue-sim; for kucoin the REST base its token comes from (env TICKBUS_ENDPOINT).")
    var endpoint: String?

    @Option(help: "Port of /metrics, /livez, /readyz on TICKBUS_METRICS_HOST (default 127.0.0.1); 0 picks a free one (env TICKBUS_METRICS_PORT; default 9464).")
    var metricsPort: String?

    @Option(help: "Milliseconds a batch of ticks may wait for more before it is sent, librdkafka's linger.ms (env TICKBUS_PRODUCER_LINGER_MS; default 200, 0-1000).")
    var lingerMs: String?

    func run() async throws {
        let adapter = try options.adapter()
        // Ticks are aggregated per second with seconds of lateness, so 200 ms costs nothing there. Shorter, a
        // broker answering slower than 5 × linger (librdkafka's idempotent cap of 5 requests in flight per
        // partition) makes the broker thread spin: 12% of a core per producer at 50 ms, 3.5% at 200 ms
        // (docs/benchmarks.md, "Producer CPU and linger.ms").
        let linger = try TickbusCLI.integerSetting(lingerMs, environment: "TICKBUS_PRODUCER_LINGER_MS", option: "--linger-ms",
                                                   default: 200, range: 0...1000)
        let (client, topics, partitions) = try kafka.resolve(clientID: "tickbus-producer")
        let environment = ProcessInfo.processInfo.environment
        var supervision = ConnectionSupervisor.Configuration()
        supervision.endpoint = endpoint ?? environment["TICKBUS_ENDPOINT"]
        // KuCoin's WebSocket URL comes from its REST API per connection: its endpoint is the REST base.
        let schemes = adapter.source == .kucoin ? ["http://", "https://"] : ["ws://", "wss://"]
        if let url = supervision.endpoint, !schemes.contains(where: url.hasPrefix) {
            throw ValidationError("--endpoint (TICKBUS_ENDPOINT): expected a \(schemes.joined(separator: " or ")) URL for \(adapter.source), got '\(url)'")
        }
        supervision.topics = topics
        let process = ProbedProcess.bootstrap(label: "producer", metricsPort: try TickbusCLI.metricsPort(metricsPort, default: 9464))
        let logger = process.logger
        if let relay = adapter.relay {
            logger.info("relay chosen", metadata: ["relay": "\(relay)", "endpoint": "\(ConnectionSupervisor.withoutQuery(supervision.endpoint ?? adapter.defaultEndpoint))"])
        }
        let producer = try await KafkaOptions.makeProducer(
            client: client, source: adapter.source, topics: topics, partitions: partitions, linger: .milliseconds(linger), logger: logger)
        let supervisor = ConnectionSupervisor(
            adapter: adapter, configuration: supervision, producer: producer,
            producerID: "\(adapter.source)-\(ProcessInfo.processInfo.hostName)-\(getpid())", logger: logger)
        // Shutdown runs in reverse: the supervisor stops reading and flushes its batch, then the producer
        // flushes librdkafka's queue.
        try await process.run([producer, supervisor])
    }
}

extension KafkaOptions {
    /// Creates the source's topics if missing and returns a producer for them.
    static func makeProducer(
        client: KafkaConfiguration, source: SourceID, topics: TopicNames, partitions: Int32, linger: Duration? = nil, logger: Logger
    ) async throws -> KafkaProducer {
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        try await TickPublisher.ensureTopics(admin: admin, source: source, topics: topics, tickPartitions: partitions)
        await admin.close()
        var configuration = KafkaProducerConfiguration(client: client)
        if let linger { configuration.linger = linger }
        return try KafkaProducer(configuration: configuration, logger: logger)
    }
}

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a raw-frame file (as normalize reads) into Kafka as fast as possible.")

    @OptionGroup var options: SourceOptions
    @OptionGroup var kafka: KafkaOptions

    @Option(help: "Raw-frame file, one frame per line (binary frames as b64:<base64>).")
    var file: String

    func run() async throws {
        let adapter = try options.recordedAdapter()
        let (client, topics, partitions) = try kafka.resolve(clientID: "tickbus-producer")
        let descriptor = open(file, O_RDONLY)
        guard descriptor >= 0 else { throw ValidationError("--file: cannot open '\(file)': \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var logger = Logger(label: "producer")
        logger.logLevel = .warning
        let producer = try await KafkaOptions.makeProducer(
            client: client, source: adapter.source, topics: topics, partitions: partitions, logger: logger)
        var publisher = TickPublisher(
            producer: producer, source: adapter.source, producerID: "\(adapter.source)-replay-\(getpid())", topics: topics)
        publisher.connected()
        let summary = try await FrameReplayer(adapter: adapter).replay(fileDescriptor: descriptor, publisher: &publisher, producer: producer)
        await producer.shutdown()
        FileHandle.standardError.write(Data(String(
            format: "replayed %d frames: %llu ticks, %d dead letters in %.2f s (%.0f frames/s)\n",
            summary.frames, summary.ticks, summary.deadLetters, summary.seconds, Double(summary.frames) / summary.seconds).utf8))
    }
}

await runCommandExitingOnBadSettings(Command.self)
