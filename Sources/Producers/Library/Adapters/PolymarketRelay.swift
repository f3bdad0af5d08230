public import TickbusMarket

/// Which of Polymarket's sockets carries an oracle source (docs/relays.md): PolyBolt (current, needs CLOB
/// credentials) or the legacy RTDS (deprecated, no credentials).
public enum OracleRelay: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case polybolt, rtds

    public var description: String { rawValue }
}

/// How the Polymarket-relayed sources are configured: the relay (`nil`: PolyBolt when credentials are
/// configured, else RTDS), the credentials, and the TWAP window of `chainlink_twap`.
public struct RelaySettings: Sendable {
    public var relay: OracleRelay?
    public var credentials: PolymarketCredentials?
    /// Seconds of the TWAP `chainlink_twap` records: 60 (what the markets resolve on) or 30 (the 5-minute
    /// markets until 2026-08-14; recorded data). Default: 60.
    public var twapWindowSeconds = 60

    public init(relay: OracleRelay? = nil, credentials: PolymarketCredentials? = nil, twapWindowSeconds: Int = 60) {
        self.relay = relay
        self.credentials = credentials
        self.twapWindowSeconds = twapWindowSeconds
    }

    /// A setting that cannot work, named.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The relay `source` uses under these settings, or why it cannot run.
    public func relay(for source: SourceID, instrumentCount: Int = 1) throws(Invalid) -> OracleRelay {
        let chosen = relay ?? (credentials != nil || source == .pyth ? .polybolt : .rtds)
        if chosen == .rtds, source == .pyth {
            throw Invalid(description: "--relay (TICKBUS_RELAY): pyth is served by PolyBolt only, not by rtds")
        }
        if chosen == .polybolt, instrumentCount > PolyBoltMessages.subscriptionLimit {
            throw Invalid(description: "--instrument (TICKBUS_INSTRUMENTS): PolyBolt takes at most \(PolyBoltMessages.subscriptionLimit) subscriptions per connection, got \(instrumentCount) instruments")
        }
        if chosen == .polybolt, credentials == nil {
            throw Invalid(description: "\(source) over PolyBolt needs the Polymarket CLOB credentials: set TICKBUS_POLYMARKET_API_KEY, TICKBUS_POLYMARKET_SECRET and TICKBUS_POLYMARKET_PASSPHRASE (or their _FILE variants)\(source == .pyth ? "" : ", or choose --relay rtds")")
        }
        return chosen
    }
}

/// The transport of one Polymarket-relayed source.
enum PolymarketTransport: Sendable {
    case rtds(RTDSMessages, subscribe: WebSocketFrame)
    case polybolt(PolyBoltMessages)
}

/// An oracle source Polymarket relays (`chainlink_twap`, `chainlink`, `pyth`): everything but the choice of
/// channel is the transport's, written once here.
protocol PolymarketRelayedAdapter: VenueAdapter {
    var transport: PolymarketTransport { get }
}

extension PolymarketRelayedAdapter {
    public var defaultEndpoint: String {
        switch transport {
        case .rtds: RTDSMessages.endpoint
        case .polybolt: PolyBoltMessages.endpoint
        }
    }

    public var heartbeat: HeartbeatRule {
        switch transport {
        case .rtds: RTDSMessages.heartbeat
        case .polybolt: PolyBoltMessages.heartbeat
        }
    }

    public var instruments: [Instrument] {
        switch transport {
        case .rtds(let messages, _): messages.symbols.instruments
        case .polybolt(let messages): messages.symbols.instruments
        }
    }

    public var relay: String? {
        switch transport {
        case .rtds: OracleRelay.rtds.rawValue
        case .polybolt: OracleRelay.polybolt.rawValue
        }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        switch transport {
        case .rtds(_, let subscribe): [subscribe]
        case .polybolt(let messages): [messages.subscribeFrame()]
        }
    }

    /// PolyBolt: `auth` first; the subscription follows `authed` (``VenueEvent/welcome``).
    public func handshakeFrames() -> [WebSocketFrame] {
        switch transport {
        case .rtds: []
        case .polybolt(let messages): [messages.authFrame()]
        }
    }

    public var acknowledgesSubscriptions: Bool {
        switch transport {
        case .rtds: false
        case .polybolt: true
        }
    }

    public var subscribesAfterWelcome: Bool {
        switch transport {
        case .rtds: false
        case .polybolt: true
        }
    }

    public func closeFault(code: Int, reason: String?) -> ConnectionFault {
        switch transport {
        case .rtds: ConnectionFault("rtds closed \(code)\(reason.flatMap { $0.isEmpty ? nil : ": \($0)" } ?? "")", retry: .backoff)
        case .polybolt: PolyBoltMessages.closeFault(code: code, reason: reason)
        }
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        try decodeInFreshSession(frame, receiveTime: receiveTime)
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession,
                       into events: inout [VenueEvent]) throws(VenueDecodeError) {
        switch transport {
        case .rtds(let messages, _):
            try messages.decode(frame, receiveTime: receiveTime, session: &session, into: &events, for: self)
        case .polybolt(let messages):
            // PolyBolt frames are JSON only; a `PING`-like text is nothing it sends.
            try messages.decode(frame, receiveTime: receiveTime, session: &session, into: &events, for: self)
        }
    }
}

/// Recorded frames of a Polymarket-relayed source, whichever relay wrote them (`producer normalize`,
/// `producer replay`): each frame goes to the relay its envelope names — PolyBolt's carry `op` or `channel`,
/// RTDS's `topic` or are arrays — under one session, so the same source rule holds as live.
struct RecordedRelayAdapter: VenueAdapter {
    let polybolt: any VenueAdapter
    /// `nil` for pyth, which RTDS never carried.
    let rtds: (any VenueAdapter)?

    var source: SourceID { polybolt.source }
    var defaultEndpoint: String { polybolt.defaultEndpoint }
    var heartbeat: HeartbeatRule { polybolt.heartbeat }
    var instruments: [Instrument] { polybolt.instruments }
    func subscribeFrames() -> [WebSocketFrame] { [] }

    func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        try decodeInFreshSession(frame, receiveTime: receiveTime)
    }

    func decode(_ frame: WebSocketFrame, receiveTime: Int64, session: inout AdapterSession,
                into events: inout [VenueEvent]) throws(VenueDecodeError) {
        guard let rtds, !isPolyBolt(frame) else {
            return try polybolt.decode(frame, receiveTime: receiveTime, session: &session, into: &events)
        }
        try rtds.decode(frame, receiveTime: receiveTime, session: &session, into: &events)
    }

    /// Decided by the first key when it tells (both relays put their tag first: PolyBolt `v` or `op`, RTDS
    /// `topic`), else by a parse; arrays are RTDS's.
    private func isPolyBolt(_ frame: WebSocketFrame) -> Bool {
        switch Self.firstKey(frame.bytes) {
        case "v", "op", "channel": return true
        case "topic", "": return false
        default:
            guard let root = try? JSONDocument(parsing: frame.bytes).root, root.kind == .object else { return false }
            return root["op"] != nil || (root["channel"] != nil && root["topic"] == nil)
        }
    }

    /// The first member name of an object frame (`""` when the frame is not an object or the name has escapes).
    static func firstKey(_ bytes: [UInt8]) -> Substring {
        var index = 0
        func skipSpace() { while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 } }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return "" }
        index += 1
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return "" }
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return "" }
        return Substring(String(decoding: bytes[start..<end], as: UTF8.self))
    }
}

extension Adapters {
    /// The adapter `producer normalize` and `replay` decode recorded frames with: for the Polymarket-relayed
    /// oracle sources one that accepts both relays' frames, for the others the live adapter.
    public static func makeForRecordedFrames(_ source: SourceID, instruments: [Instrument], twapWindowSeconds: Int = 60)
        throws(RelaySettings.Invalid) -> any VenueAdapter {
        let none = PolymarketCredentials(apiKey: "", secret: "", passphrase: "")
        let settings = RelaySettings(relay: .polybolt, credentials: none, twapWindowSeconds: twapWindowSeconds)
        switch source {
        case .chainlinkTWAP:
            guard ChainlinkTWAPAdapter.windows.contains(twapWindowSeconds) else {
                throw RelaySettings.Invalid(description: "--twap-window (TICKBUS_TWAP_WINDOW): \(twapWindowSeconds) s is not a Chainlink TWAP Polymarket relays (60 or 30)")
            }
            // A 30 s source keeps no PolyBolt frame (PolyBolt's are 60 s), but still recognises and counts them.
            return RecordedRelayAdapter(
                polybolt: ChainlinkTWAPAdapter(instruments: instruments, credentials: none, windowSeconds: twapWindowSeconds),
                rtds: ChainlinkTWAPAdapter(instruments: instruments, windowSeconds: twapWindowSeconds))
        case .chainlink:
            var rtds = settings
            rtds.relay = .rtds
            return RecordedRelayAdapter(polybolt: try make(source, instruments: instruments, relay: settings),
                                        rtds: try make(source, instruments: instruments, relay: rtds))
        case .pyth:
            return RecordedRelayAdapter(polybolt: try make(source, instruments: instruments, relay: settings), rtds: nil)
        default:
            return try make(source, instruments: instruments)
        }
    }
}
