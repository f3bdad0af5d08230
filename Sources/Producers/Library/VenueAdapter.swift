public import Foundation
public import TickbusMarket

/// A WebSocket message as received or to be sent.
public struct WebSocketFrame: Sendable, Hashable {
    public enum Opcode: Sendable, Hashable {
        case text, binary
    }

    public var opcode: Opcode
    public var bytes: [UInt8]

    public init(opcode: Opcode, bytes: [UInt8]) {
        self.opcode = opcode
        self.bytes = bytes
    }

    public static func text(_ text: String) -> WebSocketFrame { WebSocketFrame(opcode: .text, bytes: Array(text.utf8)) }
}

/// What an adapter makes of one frame.
public enum VenueEvent: Sendable, Hashable {
    /// A tick; the publisher fills in connection, sequence and producer id.
    case tick(Tick)
    /// The venue acknowledged a subscription (detail names what).
    case subscribed(String)
    /// The venue rejected a subscription or reported an error: never silent, always an error event.
    case rejected(String)
    /// An answer to our keepalive.
    case pong
    /// A frame the supervisor must send back (e.g. HTX's `{"pong":…}`).
    case reply(WebSocketFrame)
    /// A liveness message without data (Coinbase `heartbeat`); does not feed the data-freshness watchdog.
    case heartbeat
    /// The venue announced it will close the connection (maintenance, planned shutdown): reconnect now.
    case reconnectRequested(String)
    /// The venue greeted the connection (or accepted its credentials); adapters with
    /// ``VenueAdapter/subscribesAfterWelcome`` subscribe now.
    case welcome
    /// An observation from a snapshot of the past (PolyBolt's subscription snapshot, RTDS's connect-time
    /// history): published like a tick, but not live data, so it feeds neither the data watchdog nor the
    /// backoff reset. Adapters emit it only for observations this producer has not sent yet (``AdapterSession``).
    case history(Tick)
    /// Something `events.status` must record without ending the connection (authenticated, a `gap` with its
    /// count, frames of a foreign source dropped).
    case status(ConnectionEvent, String)
    /// The venue refused us in a way that ends the connection, and how to come back (error acks, close codes).
    case fault(ConnectionFault)
}

/// Why a connection ended and how to come back: the usual backoff, one delayed reconnect (a draining server),
/// or a long wait because retrying cannot help until someone fixes the credentials or the request.
public struct ConnectionFault: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Retry: Sendable, Hashable {
        /// The capped exponential backoff with jitter, growing while no live data arrives.
        case backoff
        /// One reconnect after a uniform random delay in `0...upTo`, the backoff not grown (PolyBolt 4003).
        case onceWithin(Duration)
        /// Credentials or request are wrong (PolyBolt 4001, `auth_invalid`, 4008): reconnect only after the
        /// backoff's cap, so a bad setting never becomes a hot loop; the status says what to fix.
        case fixConfiguration
    }

    public var reason: String
    public var retry: Retry

    public init(_ reason: String, retry: Retry) {
        self.reason = reason
        self.retry = retry
    }

    public var description: String { reason }
}

/// What an adapter remembers between frames, kept by the supervisor (or `producer normalize`) and passed to
/// every decode, so adapters stay pure: per-connection state (the last envelope `seq` of each channel, what
/// was reported) reset by ``newConnection()``, and per-producer state (the observations already sent) kept
/// across reconnects.
public struct AdapterSession: Sendable {
    /// The last `seq` seen per channel on this connection.
    public var sequences: [String: Int64] = [:]
    /// Foreign series already reported on this connection (reported once, counted always).
    public var reported: Set<String> = []
    /// Frames dropped because they carried another source's data, over the producer's life.
    public var foreignFrames = 0
    /// Frames the relay said we never got (PolyBolt `dropped`, `seq` jumps), over the producer's life.
    public var missedFrames = 0
    /// Observations this producer sent (instrument and venue time), across connections.
    public var sent = ObservationLedger()

    public init() {}

    public mutating func newConnection() {
        sequences = [:]
        reported = []
    }

    /// `true` once per connection for `key`: the caller reports, later calls only count.
    public mutating func firstReport(_ key: String) -> Bool { reported.insert(key).inserted }
}

/// The observations (instrument, venue time) a producer has sent, so a replayed snapshot after a reconnect
/// neither loses nor duplicates one. Bounded: the newest ``capacity`` per instrument are remembered (an hour
/// and more at one report a second; snapshots cover about two minutes).
public struct ObservationLedger: Sendable {
    public static let capacity = 4096
    private var times: [Instrument: (set: Set<Int64>, order: [Int64], head: Int)] = [:]

    public init() {}

    /// Records the observation; `false` when it was recorded before.
    public mutating func insert(_ instrument: Instrument, venueTime: Int64) -> Bool {
        var entry = times[instrument] ?? (Set(), [], 0)
        guard entry.set.insert(venueTime).inserted else { return false }
        if entry.order.count < Self.capacity {
            entry.order.append(venueTime)
        } else {
            entry.set.remove(entry.order[entry.head])
            entry.order[entry.head] = venueTime
            entry.head = (entry.head + 1) % Self.capacity
        }
        times[instrument] = entry
        return true
    }

    public func contains(_ instrument: Instrument, venueTime: Int64) -> Bool { times[instrument]?.set.contains(venueTime) ?? false }
}

/// Where and how one connection is made, decided just before connecting.
public struct ConnectionPlan: Sendable, Hashable {
    public var url: String
    public var heartbeat: HeartbeatRule
    /// The subscription for this endpoint when it depends on the URL (Bitget's v2 and v3 APIs); `nil`: the
    /// adapter's ``VenueAdapter/subscribeFrames(at:)``.
    public var subscriptions: [WebSocketFrame]?

    public init(url: String, heartbeat: HeartbeatRule, subscriptions: [WebSocketFrame]? = nil) {
        self.url = url
        self.heartbeat = heartbeat
        self.subscriptions = subscriptions
    }
}

/// Polling a REST endpoint while the venue refuses WebSocket clients (MEXC): after `afterFailures`
/// consecutive WebSocket attempts without data, the supervisor polls for `duration`, then tries the
/// WebSocket again. Both switches are `events.status` events.
public struct PollingFallback: Sendable {
    public var afterFailures: Int
    public var duration: Duration
    public var interval: Duration
    /// The URL to GET, derived from the configured WebSocket endpoint.
    public var url: @Sendable (String) -> String

    public init(afterFailures: Int = 3, duration: Duration = .seconds(300), interval: Duration = .seconds(1),
                url: @escaping @Sendable (String) -> String) {
        self.afterFailures = afterFailures
        self.duration = duration
        self.interval = interval
        self.url = url
    }
}

/// A connection could not be prepared (e.g. KuCoin's token request failed); retried with backoff, and not
/// before `retryAfter` when the venue said how long to wait (HTTP 429 or 418 with `Retry-After`).
public struct ConnectionPreparationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public let retryAfter: Duration?

    public init(_ description: String, retryAfter: Duration? = nil) {
        self.description = description
        self.retryAfter = retryAfter
    }

    /// The error for a REST answer that is not 200: with the wait the venue asks for when it rate-limits.
    public init(status: Int, headers: [AnyHashable: Any], what: String, now: Date = Date()) {
        let wait = RetryAfter.wait(status: status, headers: headers, now: now)
        self.init("\(what) answered HTTP \(status)\(wait.map { "; the venue asks to wait \($0)" } ?? "")", retryAfter: wait)
    }
}

/// How long a rate-limited venue asks to be left alone: the `Retry-After` header of a 429 (too many
/// requests), 418 (Binance's ban after ignoring 429s) or 503, in seconds or as an HTTP date; at most an hour.
public enum RetryAfter {
    public static let cap = Duration.seconds(3600)

    public static func wait(status: Int, headers: [AnyHashable: Any], now: Date = Date()) -> Duration? {
        guard [429, 418, 503].contains(status) else { return nil }
        let value = headers.first { ($0.key as? String)?.lowercased() == "retry-after" }.flatMap { $0.value as? String }?
            .trimmingCharacters(in: .whitespaces)
        guard let value else { return nil }
        if let seconds = Int(value) { return min(.seconds(max(0, seconds)), cap) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return min(.seconds(max(0, Int(date.timeIntervalSince(now).rounded(.up)))), cap)
    }
}

/// How a source keeps its connection alive and how long silence may last.
public struct HeartbeatRule: Sendable, Hashable {
    public enum Keepalive: Sendable, Hashable {
        /// The server sends WebSocket pings; the client library answers them.
        case serverPings
        /// The client sends this frame every `interval`.
        case clientFrame(WebSocketFrame, interval: Duration)
        /// Liveness comes from a subscribed heartbeat channel.
        case heartbeatChannel
    }

    public var keepalive: Keepalive
    /// Reconnect when no data (not heartbeats) arrived for this long.
    public var dataTimeout: Duration
    /// Reconnect before the venue's own connection lifetime ends, if it has one.
    public var plannedReconnect: Duration?

    public init(keepalive: Keepalive, dataTimeout: Duration, plannedReconnect: Duration? = nil) {
        self.keepalive = keepalive
        self.dataTimeout = dataTimeout
        self.plannedReconnect = plannedReconnect
    }
}

/// A frame an adapter cannot decode; goes to `dlq.producer` with the raw bytes.
public struct VenueDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The adapter's source; `nil` when the frame never reached an adapter (bad raw-file line).
    public let source: SourceID?
    public let reason: String

    public init(source: SourceID?, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { source.map { "\($0): \(reason)" } ?? reason }
}

/// The protocol of one source: pure, frames in and events out; no sockets and no clocks of its own (the
/// receive time is passed in). Connection handling lives once, in the supervisor.
public protocol VenueAdapter: Sendable {
    var source: SourceID { get }
    /// The public endpoint used when `--endpoint` is not given.
    var defaultEndpoint: String { get }
    var heartbeat: HeartbeatRule { get }
    /// The configured instruments, canonical.
    var instruments: [Instrument] { get }
    /// Frames to send after connecting, subscribing to best bid/ask and trades of the instruments.
    func subscribeFrames() -> [WebSocketFrame]
    /// The same for a connection made at `time` (µs), for venues whose requests carry a timestamp.
    func subscribeFrames(at time: Int64) -> [WebSocketFrame]
    /// Decodes one frame received at `receiveTime` (µs since the epoch).
    func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent]
    /// The same, appending to a buffer the caller reuses (the hot path: no array per frame).
    func decode(_ frame: WebSocketFrame, receiveTime: Int64, into events: inout [VenueEvent]) throws(VenueDecodeError)
    /// Called before every connection attempt with the configured endpoint: the URL to connect to and the
    /// keepalive to use. Default: the endpoint itself and ``heartbeat``. KuCoin fetches a fresh token and its
    /// WebSocket URL and ping interval here.
    func prepareConnection(endpoint: String) async throws(ConnectionPreparationError) -> ConnectionPlan
    /// Whether subscribing waits for ``VenueEvent/welcome`` (KuCoin). Default: false, subscribe on connect.
    var subscribesAfterWelcome: Bool { get }
    /// REST polling while the WebSocket is refused. Default: none.
    var pollingFallback: PollingFallback? { get }
    /// Decodes one polled REST answer. Default: no polling, always throws.
    func decodePoll(_ body: [UInt8], receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent]
    /// Decodes with the session's state in and out (envelope sequences, observations already sent). Default:
    /// the stateless decode; adapters of relays with snapshots and sequence numbers implement it.
    func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession,
                into events: inout [VenueEvent]) throws(VenueDecodeError)
    /// Frames sent right after connecting, before subscribing (PolyBolt's `auth`); an adapter that has them
    /// subscribes on ``VenueEvent/welcome``. Default: none.
    func handshakeFrames() -> [WebSocketFrame]
    /// What a close frame from the venue means (its code and reason). Default: an ordinary disconnect,
    /// reconnected with backoff.
    func closeFault(code: Int, reason: String?) -> ConnectionFault
    /// What the connection's status events call the path its data takes (`polybolt`, `rtds`), if not the
    /// venue's own socket. Default: none.
    var relay: String? { get }
    /// Whether the venue acknowledges a subscription (RTDS does not: data simply starts). Default: true.
    var acknowledgesSubscriptions: Bool { get }
}

extension VenueAdapter {
    public func subscribeFrames(at time: Int64) -> [WebSocketFrame] { subscribeFrames() }

    public func prepareConnection(endpoint: String) async throws(ConnectionPreparationError) -> ConnectionPlan {
        ConnectionPlan(url: endpoint, heartbeat: heartbeat)
    }

    public var subscribesAfterWelcome: Bool { false }

    public var pollingFallback: PollingFallback? { nil }

    public func decodePoll(_ body: [UInt8], receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        throw VenueDecodeError(source: source, reason: "no REST polling for this source")
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64, into events: inout [VenueEvent]) throws(VenueDecodeError) {
        events.append(contentsOf: try decode(frame, receiveTime: receiveTime))
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession,
                       into events: inout [VenueEvent]) throws(VenueDecodeError) {
        try decode(frame, receiveTime: receiveTime, into: &events)
    }

    public func handshakeFrames() -> [WebSocketFrame] { [] }

    public func closeFault(code: Int, reason: String?) -> ConnectionFault {
        ConnectionFault("closed by venue (code \(code)\(reason.map { $0.isEmpty ? "" : ": \($0)" } ?? ""))", retry: .backoff)
    }

    public var relay: String? { nil }

    public var acknowledgesSubscriptions: Bool { true }
}

extension VenueAdapter {
    /// The stateless decode of an adapter whose real one takes a session (relays with snapshots): one frame
    /// under a fresh session.
    func decodeInFreshSession(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        var session = AdapterSession()
        var events: [VenueEvent] = []
        try decode(frame, receiveTime: receiveTime, session: &session, into: &events)
        return events
    }
}

extension VenueAdapter {
    /// Parses a JSON frame, or throws a decode error naming the source.
    func parseJSON(_ frame: WebSocketFrame) throws(VenueDecodeError) -> JSONDocument {
        do {
            return try JSONDocument(parsing: frame.bytes)
        } catch {
            throw VenueDecodeError(source: source, reason: error.description)
        }
    }

    func fail(_ reason: String) -> VenueDecodeError {
        VenueDecodeError(source: source, reason: reason)
    }

    /// A required decimal field.
    func decimal(_ value: JSONValue?, _ name: String) throws(VenueDecodeError) -> DecimalText {
        try required(value?.decimal, name)
    }

    /// A required decimal field, from its raw bytes (``JSONValue/rawBytes``, ``JSONFlatMember/rawRange``).
    func decimal(_ raw: UnsafeBufferPointer<UInt8>?, _ name: String) throws(VenueDecodeError) -> DecimalText {
        try required(raw.flatMap { DecimalText(bytes: $0) }, name)
    }

    private func required(_ decimal: DecimalText?, _ name: String) throws(VenueDecodeError) -> DecimalText {
        guard let decimal else { throw fail("field '\(name)' missing or not a decimal") }
        return decimal
    }

    /// A required millisecond timestamp (number or digit string) as µs.
    func milliseconds(_ value: JSONValue?, _ name: String) throws(VenueDecodeError) -> Int64 {
        try microseconds(fromMilliseconds: value?.int64, name)
    }

    /// A required millisecond timestamp, from its raw bytes, as µs.
    func milliseconds(_ raw: UnsafeBufferPointer<UInt8>?, _ name: String) throws(VenueDecodeError) -> Int64 {
        try microseconds(fromMilliseconds: raw.flatMap(JSONValue.integer), name)
    }

    private func microseconds(fromMilliseconds milliseconds: Int64?, _ name: String) throws(VenueDecodeError) -> Int64 {
        guard let milliseconds, milliseconds > 0, milliseconds < Int64.max / 1000 else {
            throw fail("field '\(name)' missing or not a millisecond time")
        }
        return milliseconds * 1000
    }
}

/// Maps venue spellings of the configured instruments back to canonical instruments.
struct SymbolTable: Sendable {
    private var byVenueSymbol: [String: Instrument] = [:]
    /// Spellings as bytes, for matching raw JSON without building a String per frame.
    private var spellings: [(bytes: [UInt8], symbol: String, instrument: Instrument)] = []
    let instruments: [Instrument]

    init(_ instruments: [Instrument], spelling: (Instrument) -> String) {
        self.instruments = instruments
        for instrument in instruments {
            let symbol = spelling(instrument)
            byVenueSymbol[symbol] = instrument
            spellings.append((Array(symbol.utf8), symbol, instrument))
        }
    }

    func instrument(for venueSymbol: String) -> Instrument? { byVenueSymbol[venueSymbol] }

    /// The venue symbol (shared String, no allocation) and instrument of raw symbol bytes.
    func lookup(_ bytes: ArraySlice<UInt8>) -> (symbol: String, instrument: Instrument)? {
        bytes.withUnsafeBufferPointer { lookup($0) }
    }

    func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> (symbol: String, instrument: Instrument)? {
        for entry in spellings where entry.bytes.elementsEqual(bytes) { return (entry.symbol, entry.instrument) }
        return nil
    }
}
