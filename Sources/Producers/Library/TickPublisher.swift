import Foundation
import Logging
public import TickbusKafka
public import TickbusMarket

/// Publishes what adapters decode: ticks to `ticks.<source>` (gap-free `seq` per producer instance), keyed by
/// base asset so BTC-USD, BTC-USDT and BTC-KRW of every source share a partition number and one aggregator
/// instance sees every leg of a spread (docs/aggregator.md); undecodable frames to `dlq.producer` with their raw
/// bytes; connection events to `events.status`. Not thread-safe: one publisher per connection loop.
public struct TickPublisher {
    public let source: SourceID
    public let producerID: String
    public let topics: TopicNames
    public private(set) var sequence: UInt64 = 0
    public private(set) var connection = 0
    public private(set) var deadLetters = 0
    private let producer: KafkaProducer
    private var batch: [KafkaProducerMessage] = []
    private var scratch: [UInt8] = []

    public init(producer: KafkaProducer, source: SourceID, producerID: String, topics: TopicNames = TopicNames()) {
        self.producer = producer
        self.source = source
        self.producerID = producerID
        self.topics = topics
        scratch.reserveCapacity(512)
    }

    /// A new connection: later ticks carry the next connection id.
    public mutating func connected() {
        connection += 1
    }

    /// Queues the ticks of these events, live and replayed history alike (other events are the supervisor's
    /// business).
    public mutating func add(_ events: [VenueEvent]) {
        for event in events {
            let found: Tick? = switch event {
            case .tick(let tick), .history(let tick): tick
            default: nil
            }
            guard var tick = found else { continue }
            sequence += 1
            tick.sequence = sequence
            tick.connection = connection
            tick.producer = producerID
            scratch.removeAll(keepingCapacity: true)
            TickCodec.encode(tick, into: &scratch)
            batch.append(KafkaProducerMessage(
                topic: topics.ticks(source), key: Array(tick.instrument.base.utf8), value: scratch))
        }
    }

    /// Queues a frame that could not be decoded, with the reason; a frame over ``DeadLetterRaw/limit`` keeps
    /// its start and says how long it was.
    public mutating func addDeadLetter(_ frame: WebSocketFrame, reason: String, receiveTime: Int64) {
        deadLetters += 1
        let truncated = frame.bytes.count > DeadLetterRaw.limit
        var value = envelope()
        JSONWriter.appendLiteral(#","ts_recv":"#, to: &value)
        JSONWriter.appendInteger(receiveTime, to: &value)
        JSONWriter.appendLiteral(#","reason":"#, to: &value)
        JSONWriter.appendString(truncated ? reason + " (frame of \(frame.bytes.count) bytes; the first \(DeadLetterRaw.limit) kept)" : reason, to: &value)
        JSONWriter.appendLiteral(#","opcode":""#, to: &value)
        JSONWriter.appendRaw(frame.opcode == .text ? "text" : "binary", to: &value)
        JSONWriter.appendLiteral(#"","#, to: &value)
        DeadLetterRaw.append(frame.bytes, to: &value)
        value.append(UInt8(ascii: "}"))
        batch.append(KafkaProducerMessage(topic: topics.producerDeadLetters, key: Array(source.rawValue.utf8), value: value))
    }

    /// Queues a connection event for `events.status`.
    public mutating func addStatus(_ event: ConnectionEvent, detail: String, time: Int64) {
        var value = envelope()
        JSONWriter.appendLiteral(#","event":""#, to: &value)
        JSONWriter.appendRaw(event.rawValue, to: &value)
        JSONWriter.appendLiteral(#"","detail":"#, to: &value)
        JSONWriter.appendString(detail, to: &value)
        JSONWriter.appendLiteral(#","ts":"#, to: &value)
        JSONWriter.appendInteger(time, to: &value)
        JSONWriter.appendLiteral(#","last_seq":"#, to: &value)
        JSONWriter.appendInteger(Int64(clamping: sequence), to: &value)
        value.append(UInt8(ascii: "}"))
        batch.append(KafkaProducerMessage(topic: topics.status, key: Array(source.rawValue.utf8), value: value))
    }

    /// `{"v":1,"source":…,"producer":…,"conn":…` — the start every dead letter and status event shares.
    private func envelope() -> [UInt8] {
        var value: [UInt8] = []
        value.reserveCapacity(256)
        JSONWriter.appendLiteral(#"{"v":1,"source":""#, to: &value)
        JSONWriter.appendRaw(source.rawValue, to: &value)
        JSONWriter.appendLiteral(#"","producer":"#, to: &value)
        JSONWriter.appendString(producerID, to: &value)
        JSONWriter.appendLiteral(#","conn":"#, to: &value)
        JSONWriter.appendInteger(Int64(connection), to: &value)
        return value
    }

    /// Sends what is queued (waiting, never dropping, when the local queue is full).
    public mutating func flush() async throws {
        guard !batch.isEmpty else { return }
        defer { batch.removeAll(keepingCapacity: true) }
        try await producer.send(contentsOf: batch)
    }

    /// The topics this source writes, created when missing.
    public static func ensureTopics(
        admin: KafkaAdmin, source: SourceID, topics: TopicNames, tickPartitions: Int32, replicationFactor: Int32 = 1
    ) async throws {
        _ = try await admin.createTopics([
            KafkaTopicSpecification(name: topics.ticks(source), partitions: tickPartitions, replicationFactor: replicationFactor),
            KafkaTopicSpecification(name: topics.producerDeadLetters, partitions: 3, replicationFactor: replicationFactor),
            KafkaTopicSpecification(name: topics.status, partitions: 3, replicationFactor: replicationFactor),
        ])
    }
}

/// What `events.status` records about a producer's connection.
public enum ConnectionEvent: String, Sendable, Hashable {
    case connected
    case subscribed
    /// The venue rejected the subscription or reported an error.
    case rejected
    /// No subscription acknowledgement within the ack timeout.
    case subscribeTimeout = "subscribe_timeout"
    /// The connection was open but no data arrived within the source's data timeout.
    case stale
    case disconnected
    /// Data stopped (disconnect or stall) …
    case gapStart = "gap_start"
    /// … and resumed with this connection's first tick.
    case gapEnd = "gap_end"
    /// The venue announced a shutdown, or the planned lifetime elapsed.
    case reconnectRequested = "reconnect_requested"
    /// The WebSocket kept failing: polling the venue's REST API instead (MEXC) …
    case fallbackStarted = "fallback_started"
    /// … until this, when the WebSocket is tried again.
    case fallbackEnded = "fallback_ended"
    /// The relay accepted our credentials (PolyBolt `authed`).
    case authenticated
    /// The relay reported frames we never got (PolyBolt `dropped`, a `seq` jump); the detail has the count.
    case gap
    /// Frames of another series than this source's were counted and dropped (a provider pin the server
    /// ignored); reported once per connection.
    case wrongSource = "wrong_source"
    /// The server refused the WebSocket upgrade; the detail has the HTTP status and what it likely means.
    case upgradeRefused = "upgrade_refused"
}
