import Foundation
import HummingbirdWebSocket
import NIOWebSocket
import Synchronization
import TickbusMarket

/// What venue-sim's PolyBolt sent (`GET /control/polybolt/stats`).
public struct PolyBoltStatistics: Sendable, Codable, Equatable {
    public var connections = 0
    public var authAccepted = 0
    public var authRefused = 0
    public var subscriptions = 0
    /// Live frames and snapshot entries sent, per channel.
    public var liveFrames: [String: Int] = [:]
    public var snapshotEntries: [String: Int] = [:]
    public var droppedAnnounced = 0
    /// Connections closed by the `close` fault, per close code.
    public var closes: [String: Int] = [:]
}

/// Polymarket's PolyBolt live-data socket as venue-sim serves it at `/polybolt` (docs/relays.md#venue-sim):
/// `auth` checked against the configured credentials (acks and error acks), `subscribe` to
/// `price.crypto.twap` / `price.crypto` with a JSON filter, one snapshot frame per subscription (the
/// observations of the last two minutes, shared by every connection, so a reconnect replays what a client
/// already has), then live frames with a consecutive `seq` per channel and connection.
///
/// Faults, `POST /control/polybolt/<fault>`: `silent` / `resume` (subscribed, no live frames), `drop?count=N`
/// (the next live frame of each channel skips N seq numbers and says `dropped: N`), `close?code=4001|4002|
/// 4003|4008` (every open connection closes with that code), `ignore-provider` / `honour-provider` (price.crypto
/// always serves Pyth, whatever the pin). `GET /control/polybolt/stats` answers the counts.
final class PolyBoltSimulator: Sendable {
    /// What the demo and the tests authenticate with (docs/relays.md#venue-sim): not a secret.
    static let demoCredentials = (apiKey: "tickbus-demo-key", secret: "tickbus-demo-secret", passphrase: "tickbus-demo-passphrase")

    private struct Controls {
        var silent = false
        var ignoreProvider = false
        var dropGeneration = 0
        var dropCount = 0
        var closeGeneration = 0
        var closeCode: UInt16 = 1000
    }

    /// One observation of the shared series (at most one per 1/rate, whichever connection asks first), so
    /// every connection streams the same observations and history overlaps what clients already received.
    private struct Observation {
        var millis: Int64
        var cents: Int64
        /// The 60 s TWAP at this observation, in 10^-8 dollars (computed once, when observed).
        var twap: Int64
    }

    private let credentials: (apiKey: String, secret: String, passphrase: String)
    private let rate: Double
    private let controls = Mutex(Controls())
    private let statistics = Mutex(PolyBoltStatistics())
    /// Mid prices (cents) over the last few minutes, from which TWAPs and history are computed.
    private let observations = Mutex([Observation]())
    init(credentials: (apiKey: String, secret: String, passphrase: String), rate: Double) {
        self.credentials = credentials
        self.rate = rate
    }

    var stats: PolyBoltStatistics { statistics.withLock { $0 } }

    /// Applies a control; false when the fault or its parameters are unknown.
    @discardableResult
    func control(_ fault: String, parameters: [String: String]) -> Bool {
        switch fault {
        case "silent": controls.withLock { $0.silent = true }
        case "resume": controls.withLock { $0.silent = false }
        case "ignore-provider": controls.withLock { $0.ignoreProvider = true }
        case "honour-provider": controls.withLock { $0.ignoreProvider = false }
        case "drop":
            guard let count = Int(parameters["count"] ?? "5"), (1...1_000_000).contains(count) else { return false }
            controls.withLock { $0.dropGeneration += 1; $0.dropCount = count }
        case "close":
            guard let code = UInt16(parameters["code"] ?? "4003"), (1000...4999).contains(code) else { return false }
            controls.withLock { $0.closeGeneration += 1; $0.closeCode = code }
        default: return false
        }
        return true
    }

    private struct Subscription: Sendable {
        var channel: String
        var symbol: String
        var provider: String?
        var windowSeconds: Int
    }

    /// Per connection: authenticated, subscriptions, seq per channel.
    private final class ConnectionState: Sendable {
        struct State {
            var authenticated = false
            var authAttempts = 0
            var subscriptions: [Subscription] = []
            var sequence: [String: Int64] = [:]
        }
        let state = Mutex(State())
        func nextSequence(_ channel: String, skipping: Int64 = 0) -> Int64 {
            state.withLock { state in
                let next = (state.sequence[channel] ?? 0) + 1 + skipping
                state.sequence[channel] = next
                return next
            }
        }
    }

    /// Serves one connection; `walk` gives the next mid (cents) of the simulator's shared price walk.
    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, walk: @escaping @Sendable () -> Int64) async throws {
        statistics.withLock { $0.connections += 1 }
        let connection = ConnectionState()
        let (closeGeneration, dropGeneration) = controls.withLock { ($0.closeGeneration, $0.dropGeneration) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message else { continue }
                    let (replies, subscriptions) = self.respond(to: text, connection: connection)
                    for reply in replies { try await outbound.write(.text(reply)) }
                    // Live frames only once the ack and the snapshot are on the wire, as PolyBolt orders them.
                    if !subscriptions.isEmpty { connection.state.withLock { $0.subscriptions += subscriptions } }
                }
            }
            group.addTask {
                let interval = Duration.nanoseconds(Int64(1_000_000_000 / max(0.1, self.rate)))
                var due = ContinuousClock.now
                var drops = dropGeneration
                var lastSent = Int64.min
                while true {
                    due += interval
                    if ContinuousClock.now - due > .seconds(1) { due = .now }
                    try await Task.sleep(until: due)
                    let controls = self.controls.withLock { $0 }
                    if controls.closeGeneration != closeGeneration {
                        self.statistics.withLock { $0.closes[String(controls.closeCode), default: 0] += 1 }
                        try await outbound.close(WebSocketErrorCode(codeNumber: Int(controls.closeCode)), reason: "venue-sim")
                        return
                    }
                    // Silent: the relay has nothing new, so later snapshots replay only the past.
                    let subscriptions = connection.state.withLock { $0.subscriptions }
                    guard !controls.silent, !subscriptions.isEmpty else { continue }
                    let observation = self.observe(walk)
                    guard observation.millis > lastSent else { continue }
                    lastSent = observation.millis
                    var skip: Int64 = 0
                    if controls.dropGeneration != drops {
                        drops = controls.dropGeneration
                        skip = Int64(controls.dropCount)
                        self.statistics.withLock { $0.droppedAnnounced += controls.dropCount }
                    }
                    // One frame per channel per tick: the first subscription of each channel (BTC in the demo).
                    var seen: Set<String> = []
                    for subscription in subscriptions where seen.insert(subscription.channel).inserted {
                        let seq = connection.nextSequence(subscription.channel, skipping: skip)
                        let payload = self.payload(subscription, at: observation, ignoreProvider: controls.ignoreProvider)
                        let dropped = skip > 0 ? #","dropped":\#(skip)"# : ""
                        try await outbound.write(.text(#"{"v":1,"channel":"\#(subscription.channel)","seq":\#(seq),"ts":\#(observation.millis + 900)\#(dropped),"payload":\#(payload)}"#))
                        self.statistics.withLock { $0.liveFrames[subscription.channel, default: 0] += 1 }
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// The current observation of the shared series: a new one from the walk when the last is older than
    /// 1/rate, else that one. Kept for three minutes.
    private func observe(_ walk: () -> Int64) -> Observation {
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let interval = Int64(1000 / max(0.1, rate))
        return observations.withLock { list in
            if let last = list.last, millis - last.millis < interval { return last }
            let cents = walk()
            let start = millis - 60_000
            var sum = cents, count: Int64 = 1
            for earlier in list.reversed() {
                guard earlier.millis > start else { break }
                sum += earlier.cents
                count += 1
            }
            let observation = Observation(millis: max(millis, (list.last?.millis ?? 0) + 1), cents: cents, twap: sum * 1_000_000 / count)
            list.append(observation)
            if let first = list.first, first.millis < observation.millis - 180_000 { list.removeAll { $0.millis < observation.millis - 180_000 } }
            return observation
        }
    }

    /// The series value at an observation: the TWAP over `windowSeconds` before it, or the spot mid. Eight
    /// decimals, as Chainlink reports, exact in `full_accuracy_value` and a JSON float in `value`.
    private func value(_ subscription: Subscription, at observation: Observation) -> (value: String, exact: String) {
        // 10^-8 dollars: the 60 s TWAP (the only window served), or the spot mid with digits a cent does not have.
        let cents = subscription.channel == "price.crypto.twap" ? observation.twap : observation.cents * 1_000_000 + 123_400
        let exact = "\(cents / 100_000_000).\(String(cents % 100_000_000).leftPadded(to: 8))"
        return (SimulatedProtocol.jsonFloat(exact), exact)
    }

    private func source(_ subscription: Subscription, ignoreProvider: Bool) -> String {
        if subscription.channel == "price.crypto.twap" { return "chainlink" }
        return ignoreProvider ? "pyth" : subscription.provider ?? "pyth"
    }

    private func payload(_ subscription: Subscription, at observation: Observation, ignoreProvider: Bool) -> String {
        let (value, exact) = self.value(subscription, at: observation)
        let window = subscription.channel == "price.crypto.twap" ? #","window_seconds":\#(subscription.windowSeconds)"# : ""
        return #"{"symbol":"\#(subscription.symbol)","value":\#(value),"full_accuracy_value":"\#(exact)","timestamp":\#(observation.millis)\#(window),"source":"\#(source(subscription, ignoreProvider: ignoreProvider))"}"#
    }

    /// The answers to one client frame (acks, error acks, snapshots) and the subscriptions it adds, registered by
    /// the caller once the answers are written.
    private func respond(to text: String, connection: ConnectionState) -> (replies: [String], subscriptions: [Subscription]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let op = object["op"] as? String else {
            return ([#"{"op":"error","code":"bad_request","message":"not a JSON op"}"#], [])
        }
        let rid = (object["rid"] as? String).map { #","rid":"\#($0)""# } ?? ""
        switch op {
        case "ping":
            return ([#"{"op":"pong"\#(rid)}"#], [])
        case "auth":
            let auth = object["auth"] as? [String: Any] ?? [:]
            let attempts = connection.state.withLock { $0.authAttempts += 1; return $0.authAttempts }
            if attempts > 8 { return ([#"{"op":"error","code":"auth_attempts"\#(rid),"message":"too many auth frames"}"#], []) }
            let valid = auth["apiKey"] as? String == credentials.apiKey && auth["secret"] as? String == credentials.secret
                && auth["passphrase"] as? String == credentials.passphrase
            statistics.withLock { valid ? ($0.authAccepted += 1) : ($0.authRefused += 1) }
            guard valid else { return ([#"{"op":"error","code":"auth_invalid"\#(rid),"message":"invalid api credentials"}"#], []) }
            connection.state.withLock { $0.authenticated = true }
            return ([#"{"op":"authed"\#(rid)}"#], [])
        case "subscribe":
            guard connection.state.withLock({ $0.authenticated }) else {
                return ([#"{"op":"error","code":"auth_required"\#(rid),"message":"authenticate first"}"#], [])
            }
            let requested = (object["subscriptions"] as? [[String: Any]]) ?? [object]
            var replies: [String] = []
            var added: [Subscription] = []
            for item in requested {
                guard let channel = item["channel"] as? String, ["price.crypto.twap", "price.crypto"].contains(channel),
                      let filter = item["filter"] as? [String: Any], let symbol = filter["symbol"] as? String,
                      ["btcusd", "ethusd", "solusd", "xrpusd"].contains(symbol) else {
                    replies.append(#"{"op":"error","code":"bad_filter"\#(rid),"message":"unknown channel or symbol"}"#)
                    continue
                }
                let window = (filter["window_seconds"] as? Int) ?? 60
                guard channel != "price.crypto.twap" || window == 60 else {
                    replies.append(#"{"op":"error","code":"bad_filter"\#(rid),"message":"window_seconds must be 60"}"#)
                    continue
                }
                let subscription = Subscription(channel: channel, symbol: symbol, provider: filter["provider"] as? String, windowSeconds: window)
                added.append(subscription)
                statistics.withLock { $0.subscriptions += 1 }
                let provider = channel == "price.crypto" ? #","provider":"\#(source(subscription, ignoreProvider: controls.withLock { $0.ignoreProvider }))""# : ""
                replies.append(#"{"op":"subscribed","channel":"\#(channel)"\#(rid)\#(provider)}"#)
                replies.append(snapshot(subscription, connection: connection))
            }
            return (replies, added)
        case "unsubscribe":
            return ([#"{"op":"unsubscribed"\#(rid)}"#], [])
        default:
            return ([#"{"op":"error","code":"bad_request"\#(rid),"message":"unknown op \#(op)"}"#], [])
        }
    }

    /// The subscription's snapshot: the shared observations of the last two minutes.
    private func snapshot(_ subscription: Subscription, connection: ConnectionState) -> String {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let recent = observations.withLock { $0.filter { $0.millis >= now - 120_000 } }
        let ignore = controls.withLock { $0.ignoreProvider }
        let entries = recent.map { observation in
            let (value, exact) = self.value(subscription, at: observation)
            return #"{"timestamp":\#(observation.millis),"value":\#(value),"full_accuracy_value":"\#(exact)"}"#
        }
        statistics.withLock { $0.snapshotEntries[subscription.channel, default: 0] += entries.count }
        let window = subscription.channel == "price.crypto.twap" ? #","window_seconds":\#(subscription.windowSeconds)"# : ""
        let seq = connection.nextSequence(subscription.channel)
        return #"{"v":1,"channel":"\#(subscription.channel)","seq":\#(seq),"ts":\#(now),"snapshot":true,"payload":{"symbol":"\#(subscription.symbol)","data":[\#(entries.joined(separator: ","))]\#(window),"source":"\#(source(subscription, ignoreProvider: ignore))"}}"#
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
