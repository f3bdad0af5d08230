import Foundation
import NIOCore
import Hummingbird
import HummingbirdWebSocket
public import Logging
import Producers
import Producers
import Synchronization
public import TickbusMarket
import TickbusTelemetry

/// Loopback WebSocket servers speaking each implemented source's real protocol (subscribe and ack,
/// keepalives, frame shapes), all quoting one shared random-walk price so cross-venue spreads look real.
/// Bitget speaks v3 at `/bitget` and v2 at `/bitget/v2`.
/// One HTTP port serves `/<source>` WebSockets and `POST /control/<source>/<fault>` to inject faults:
/// `disconnect`, `stall`, `resume`, `reject` (reject subscriptions from now on; MEXC the way it refuses
/// channels, code 0 and "Not Subscribed successfully! … Reason： Blocked!"), `accept`, `malformed`
/// (`?kind=<MalformedKind>&count=N`: bad frames next, default one `types`); `GET /control/<source>/stats`
/// answers what was sent (the fault drills' ground truth).
public final class VenueSimulator: Sendable {
    public struct Configuration: Sendable {
        /// Port; 0 picks a free one (see ``port()``). Default: 0.
        public var port = 0
        /// Address to listen on. Default: 127.0.0.1 (a container uses 0.0.0.0).
        public var host = "127.0.0.1"
        /// Data frames per second per connection. Default: 20.
        public var rate: Double = 20
        /// Sources served. Default: every implemented one.
        public var sources: [SourceID] = SimulatedProtocol.supported
        /// Faults active from the start.
        public var rejectSubscriptions: Set<SourceID> = []
        /// A malformed frame after every N data frames (0: never). Default: 0.
        public var malformedEvery = 0
        /// WebSocket control pings from the server (Binance's keepalive); a client that does not answer
        /// one before the next is disconnected. Default: 20 s.
        public var pingInterval: Duration = .seconds(20)
        /// Application-level pings of sources that have them (HTX `{"ping":ms}`); two unanswered and the
        /// connection is closed. Default: 5 s.
        public var appPingInterval: Duration = .seconds(5)
        /// Keep the price of every data frame sent (tests compare them with the ticks); off, only counts are
        /// kept and memory stays flat however long the simulator runs. Default: true.
        public var recordsSentPrices = true
        /// The Polymarket CLOB credentials `/polybolt` accepts. Default: the demo's (docs/relays.md#venue-sim).
        public var polyboltCredentials = PolyBoltSimulator.demoCredentials
        /// `/polybolt`'s `price.crypto` serves Pyth whatever the pin from the start (the `ignore-provider`
        /// fault). Default: false.
        public var polyboltIgnoresProvider = false

        public init() {}
    }

    public enum Fault: String, Sendable, CaseIterable {
        case disconnect, stall, resume, reject, accept, malformed
        /// `?seconds=N&count=K`: the next K REST requests (KuCoin's token, MEXC's polls) get 429, Retry-After N.
        case ratelimit
        /// `?status=451[&retry_after=N]`: every WebSocket upgrade is refused with that HTTP status (a region
        /// block, a rate limit), until `admit`.
        case refuse
        case admit
    }

    struct SourceState: Sendable {
        var disconnectGeneration = 0
        var stalled = false
        var rejecting = false
        var pendingMalformed: [MalformedKind] = []
        /// Price text of every data frame sent, in order (what a faithful pipeline must deliver).
        var sentPrices: [String] = []
        var framesSent = 0
        var malformedSent: [MalformedKind: Int] = [:]
        var connections = 0
        /// KuCoin tokens handed out by bullet-public, and those a connection has used.
        var tokensIssued: Set<String> = []
        var tokensUsed: Set<String> = []
        /// MEXC REST book-ticker requests served.
        var restPolls = 0
        /// REST requests (KuCoin tokens, MEXC polls) still to be refused with 429 and `Retry-After: seconds`.
        var rateLimited = 0
        var retryAfterSeconds = 0
        /// When each REST request arrived, refused or not.
        var restRequests: [ContinuousClock.Instant] = []
        /// The HTTP status every WebSocket upgrade is refused with (a region block: 451), and its Retry-After.
        var refusedUpgrade: Int?
        var refusedRetryAfter: Int?
        var refusedUpgrades = 0
    }

    public let configuration: Configuration
    let states: Mutex<[SourceID: SourceState]>
    let walk = Mutex(PriceWalk(seed: 42))
    let polybolt: PolyBoltSimulator
    private let boundPort = BoundPort()
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        var states: [SourceID: SourceState] = [:]
        for source in configuration.sources {
            states[source] = SourceState(rejecting: configuration.rejectSubscriptions.contains(source))
        }
        self.states = Mutex(states)
        polybolt = PolyBoltSimulator(credentials: configuration.polyboltCredentials, rate: configuration.rate)
        if configuration.polyboltIgnoresProvider { polybolt.control("ignore-provider", parameters: [:]) }
    }

    /// PolyBolt's faults (``PolyBoltSimulator``): `silent`, `resume`, `drop`, `close`, `ignore-provider`,
    /// `honour-provider`; false when unknown.
    @discardableResult
    public func injectPolyBolt(_ fault: String, parameters: [String: String] = [:]) -> Bool {
        polybolt.control(fault, parameters: parameters)
    }

    /// What `/polybolt` sent so far.
    public var polyboltStatistics: PolyBoltStatistics { polybolt.stats }

    /// The PolyBolt endpoint of this simulator.
    public func polyboltEndpoint(port: Int) -> String { "ws://127.0.0.1:\(port)/polybolt" }

    /// The listening port, once the server runs.
    public func port() async -> Int { await boundPort.value() }

    /// What a producer is configured with: the WebSocket URL, or for KuCoin the REST base its token comes from.
    public func endpoint(for source: SourceID, port: Int) -> String {
        source == .kucoin ? "http://127.0.0.1:\(port)/kucoin" : "ws://127.0.0.1:\(port)/\(source.rawValue)"
    }

    public func inject(_ fault: Fault, into source: SourceID) {
        states.withLock { states in
            guard var state = states[source] else { return }
            switch fault {
            case .disconnect: state.disconnectGeneration += 1
            case .stall: state.stalled = true
            case .resume: state.stalled = false
            case .reject: state.rejecting = true
            case .accept: state.rejecting = false
            case .malformed: state.pendingMalformed.append(.types)
            case .ratelimit: state.rateLimited += 1; state.retryAfterSeconds = max(state.retryAfterSeconds, 5)
            case .refuse: state.refusedUpgrade = state.refusedUpgrade ?? 451
            case .admit: state.refusedUpgrade = nil; state.refusedRetryAfter = nil
            }
            states[source] = state
        }
    }

    /// Queues `count` bad frames of `kind` for the source's connections; false if the kind does not apply.
    @discardableResult
    public func injectMalformed(_ kind: MalformedKind, count: Int = 1, into source: SourceID) -> Bool {
        guard MalformedKind.applicable(to: source).contains(kind) else { return false }
        return states.withLock { states in
            guard states[source] != nil else { return false }
            states[source]?.pendingMalformed += Array(repeating: kind, count: max(0, count))
            return true
        }
    }

    /// The next `count` REST requests of the source are answered 429 with `Retry-After: seconds`.
    public func rateLimit(_ source: SourceID, seconds: Int, count: Int) {
        states.withLock { states in
            states[source]?.rateLimited = count
            states[source]?.retryAfterSeconds = seconds
        }
    }

    /// When the source's REST requests arrived.
    public func restRequests(_ source: SourceID) -> [ContinuousClock.Instant] { states.withLock { $0[source]?.restRequests ?? [] } }

    /// Counts a REST request; the 429 to answer while rate-limited.
    private func admitREST(_ source: SourceID) -> Response? {
        let retryAfter = states.withLock { states -> Int? in
            states[source]?.restRequests.append(.now)
            guard let state = states[source], state.rateLimited > 0 else { return nil }
            states[source]?.rateLimited -= 1
            return state.retryAfterSeconds
        }
        guard let retryAfter else { return nil }
        return Response(status: .tooManyRequests, headers: [.retryAfter: String(retryAfter), .contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"code":"429000","msg":"Too many requests"}"#)))
    }

    /// What was sent to a source's clients so far.
    public struct Statistics: Sendable, Codable, Equatable {
        public var frames: Int
        public var malformed: [String: Int]
        public var connections: Int
        /// Bad frames queued and not yet sent (none are sent while no client is subscribed).
        public var pending: Int
        public var malformedTotal: Int { malformed.values.reduce(0, +) }
    }

    public func statistics(_ source: SourceID) -> Statistics? {
        states.withLock { states in
            states[source].map { state in
                Statistics(frames: state.framesSent,
                           malformed: Dictionary(uniqueKeysWithValues: state.malformedSent.map { ($0.key.rawValue, $0.value) }),
                           connections: state.connections, pending: state.pendingMalformed.count)
            }
        }
    }

    /// Prices of the data frames sent so far for a source, in order.
    public func sentPrices(_ source: SourceID) -> [String] { states.withLock { $0[source]?.sentPrices ?? [] } }
    public func malformedSent(_ source: SourceID) -> Int { statistics(source)?.malformedTotal ?? 0 }
    public func connections(_ source: SourceID) -> Int { states.withLock { $0[source]?.connections ?? 0 } }
    /// Every WebSocket upgrade of the source is refused with `status` (and `Retry-After: retryAfter`) until
    /// the `admit` fault.
    public func refuseUpgrades(_ source: SourceID, status: Int, retryAfter: Int? = nil) {
        states.withLock { $0[source]?.refusedUpgrade = status; $0[source]?.refusedRetryAfter = retryAfter }
    }

    /// WebSocket upgrades refused so far (the `refuse` fault).
    public func refusedUpgrades(_ source: SourceID) -> Int { states.withLock { $0[source]?.refusedUpgrades ?? 0 } }
    /// REST requests served (MEXC's fallback).
    public func restPolls(_ source: SourceID) -> Int { states.withLock { $0[source]?.restPolls ?? 0 } }
    /// KuCoin tokens handed out so far.
    public func tokensIssued(_ source: SourceID) -> Int { states.withLock { $0[source]?.tokensIssued.count ?? 0 } }

    /// Serves until cancelled.
    public func run() async throws {
        let router = Router()
        // KuCoin: a fresh token and the WebSocket server per connection (bullet-public).
        router.post("/kucoin/api/v1/bullet-public") { request, _ -> Response in
            if let refusal = self.admitREST(.kucoin) { return refusal }
            let token = self.states.withLock { states -> String in
                let token = "sim-token-\(states[.kucoin]?.tokensIssued.count ?? 0)"
                states[.kucoin]?.tokensIssued.insert(token)
                return token
            }
            // The server as the client reached it (127.0.0.1:port locally, venue-sim:19500 in compose).
            let port = await self.port()
            let authority = request.head.authority ?? "127.0.0.1:\(port)"
            let millis = Int64(self.configuration.appPingInterval.components.seconds * 1000
                + self.configuration.appPingInterval.components.attoseconds / 1_000_000_000_000_000)
            let body = #"{"code":"200000","data":{"token":"\#(token)","instanceServers":[{"endpoint":"ws://\#(authority)/kucoin","encrypt":false,"protocol":"websocket","pingInterval":\#(millis),"pingTimeout":10000}]}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        // MEXC's REST book ticker (the producer's fallback while the WebSocket is refused).
        router.get("/mexc/api/v3/ticker/bookTicker") { _, _ -> Response in
            if let refusal = self.admitREST(.mexc) { return refusal }
            let mid = self.walk.withLock { $0.next() }
            let body = #"{"symbol":"BTCUSDT","bidPrice":"\#(SimulatedProtocol.dollars(mid - 1))","bidQty":"0.5","askPrice":"\#(SimulatedProtocol.dollars(mid + 1))","askQty":"0.4"}"#
            self.states.withLock { $0[.mexc]?.restPolls += 1 }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.post("/control/:source/:fault") { request, context -> HTTPResponse.Status in
            if context.parameters.get("source") == "polybolt" {
                let parameters = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
                return self.polybolt.control(context.parameters.get("fault") ?? "", parameters: parameters) ? .ok : .badRequest
            }
            guard let source = context.parameters.get("source").flatMap(SourceID.init(rawValue:)),
                  let fault = context.parameters.get("fault").flatMap(Fault.init(rawValue:)) else { return .badRequest }
            if fault == .refuse {
                guard let status = Int(String(request.uri.queryParameters["status"] ?? "451")), (400...599).contains(status) else { return .badRequest }
                self.refuseUpgrades(source, status: status, retryAfter: request.uri.queryParameters["retry_after"].flatMap { Int(String($0)) })
                return .ok
            }
            if fault == .ratelimit {
                guard let seconds = Int(String(request.uri.queryParameters["seconds"] ?? "5")), (0...3600).contains(seconds),
                      let count = Int(String(request.uri.queryParameters["count"] ?? "1")), count > 0 else { return .badRequest }
                self.rateLimit(source, seconds: seconds, count: count)
                return .ok
            }
            if fault == .malformed, request.uri.queryParameters["kind"] != nil || request.uri.queryParameters["count"] != nil {
                guard let kind = MalformedKind(rawValue: String(request.uri.queryParameters["kind"] ?? "types")),
                      let count = Int(String(request.uri.queryParameters["count"] ?? "1")), (1...100_000).contains(count),
                      self.injectMalformed(kind, count: count, into: source) else { return .badRequest }
                return .ok
            }
            self.inject(fault, into: source)
            return .ok
        }
        router.get("/control/:source/stats") { _, context -> Response in
            if context.parameters.get("source") == "polybolt", let body = try? JSONEncoder().encode(self.polybolt.stats) {
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
            }
            guard let source = context.parameters.get("source").flatMap(SourceID.init(rawValue:)),
                  let statistics = self.statistics(source),
                  let body = try? JSONEncoder().encode(statistics) else { return Response(status: .notFound) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        // A refused upgrade ends here as plain HTTP: the status a region block or rate limit answers with.
        router.get("/:source") { _, context -> Response in
            guard let source = context.parameters.get("source").flatMap(SourceID.init(rawValue:)),
                  let (status, retryAfter) = self.states.withLock({ states -> (Int, Int?)? in
                      guard let status = states[source]?.refusedUpgrade else { return nil }
                      states[source]?.refusedUpgrades += 1
                      return (status, states[source]?.refusedRetryAfter)
                  }) else { return Response(status: .notFound) }
            var headers: HTTPFields = [.contentType: "text/plain"]
            if let retryAfter { headers[.retryAfter] = String(retryAfter) }
            return Response(status: .init(code: status), headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: "refused by venue-sim\n")))
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(autoPing: .enabled(timePeriod: configuration.pingInterval))) { request, _, _ in
                let target = request.path ?? ""
                let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
                let query = target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
                let parameters = Dictionary(query.split(separator: "&").map { pair -> (String, String) in
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    return (parts[0], parts.count > 1 ? parts[1] : "")
                }, uniquingKeysWith: { first, _ in first })
                let name = path.split(separator: "/").first.map(String.init) ?? ""
                if let source = SourceID(rawValue: name), self.states.withLock({ $0[source]?.refusedUpgrade != nil }) {
                    return .dontUpgrade  // answered by the router with the refusal's status
                }
                if name == "polybolt" {
                    return .upgrade([:]) { inbound, outbound, _ in try await self.polybolt.serve(inbound: inbound, outbound: outbound) { self.walk.withLock { $0.next() } } }
                }
                // KuCoin: only with a token from bullet-public, each used once (a reconnect must fetch a new one).
                if name == SourceID.kucoin.rawValue {
                    let valid = self.states.withLock { states -> Bool in
                        guard let token = parameters["token"], states[.kucoin]?.tokensIssued.contains(token) == true,
                              states[.kucoin]?.tokensUsed.contains(token) == false else { return false }
                        states[.kucoin]?.tokensUsed.insert(token)
                        return true
                    }
                    guard valid else { return .dontUpgrade }
                }
                let connectID = parameters["connectId"] ?? ""
                guard let source = SourceID(rawValue: name), self.configuration.sources.contains(source),
                      let simulated = SimulatedProtocol(source: source, path: path) else { return .dontUpgrade }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await self.serve(simulated, connectID: connectID, inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in self.boundPort.set(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.run()
    }

    private func serve(_ simulated: SimulatedProtocol, connectID: String, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        if let greeting = simulated.greeting(connectID: connectID) { try await outbound.write(simulated.framed(greeting).outbound) }
        let source = simulated.source
        let generation = states.withLock { states -> Int in
            states[source]?.connections += 1
            return states[source]?.disconnectGeneration ?? 0
        }
        let subscribed = SubscriptionFlag()
        let unansweredPings = PingCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    guard case .text(let text) = message else { continue }
                    if text.hasPrefix(#"{"pong":"#) {
                        unansweredPings.reset()
                        continue
                    }
                    let rejecting = self.states.withLock { $0[source]?.rejecting ?? false }
                    switch simulated.respond(to: text, rejecting: rejecting) {
                    case .none: break
                    case .reply(let replies, let subscribes):
                        for reply in replies { try await outbound.write(simulated.framed(reply).outbound) }
                        if subscribes { subscribed.set() }
                    case .rejectAndClose(let reply):
                        try await outbound.write(simulated.framed(reply).outbound)
                        return
                    }
                }
            }
            group.addTask {
                let interval = Duration.nanoseconds(Int64(1_000_000_000 / max(0.1, self.configuration.rate)))
                var sent = 0
                var lastHeartbeat = ContinuousClock.now
                var lastPing = ContinuousClock.now
                // Paced by deadline, not by a sleep after each frame, so the rate holds at hundreds a second;
                // after a stall of the host (over a second behind) it restarts from now rather than bursting.
                var due = ContinuousClock.now
                while true {
                    due += interval
                    if ContinuousClock.now - due > .seconds(1) { due = .now }
                    try await Task.sleep(until: due)
                    let state = self.states.withLock { $0[source] ?? SourceState() }
                    if state.disconnectGeneration != generation { return }
                    guard subscribed.isSet, !state.stalled else { continue }
                    if let heartbeat = simulated.heartbeat(), ContinuousClock.now - lastHeartbeat >= .seconds(1) {
                        lastHeartbeat = .now
                        try await outbound.write(simulated.framed(heartbeat).outbound)
                    }
                    // HTX: {"ping":ms} every 5 s; two left unanswered and the connection is closed.
                    if ContinuousClock.now - lastPing >= self.configuration.appPingInterval,
                       let ping = simulated.serverPing(millis: Int64(Date().timeIntervalSince1970 * 1000)) {
                        lastPing = .now
                        let unanswered = unansweredPings.increment()
                        if unanswered > 2 { return }
                        try await outbound.write(simulated.framed(ping).outbound)
                    }
                    let malformedDue = !state.pendingMalformed.isEmpty
                        || (self.configuration.malformedEvery > 0 && sent > 0 && sent % self.configuration.malformedEvery == 0)
                    if malformedDue {
                        let kind = self.states.withLock { states -> MalformedKind in
                            let kind = states[source]?.pendingMalformed.first ?? .types
                            if states[source]?.pendingMalformed.isEmpty == false { states[source]?.pendingMalformed.removeFirst() }
                            states[source]?.malformedSent[kind, default: 0] += 1
                            return kind
                        }
                        if let frame = simulated.malformed(kind, mid: self.walk.withLock { $0.next() }) {
                            try await outbound.write(frame.outbound)
                        }
                        sent += 1
                        continue
                    }
                    let mid = self.walk.withLock { $0.next() }
                    let (frame, price) = simulated.dataFrame(mid: mid, index: sent)
                    // Recorded before sending: a frame is "sent" once handed to the socket.
                    let records = self.configuration.recordsSentPrices
                    self.states.withLock { states in
                        states[source]?.framesSent += 1
                        if records { states[source]?.sentPrices.append(price) }
                    }
                    try await outbound.write(simulated.framed(frame).outbound)
                    sent += 1
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }
}

/// A seeded random walk around 65 000 with cent resolution.
struct PriceWalk: Sendable {
    private var state: UInt64
    private var cents: Int64 = 6_500_000

    init(seed: UInt64) {
        state = seed | 1
    }

    mutating func next() -> Int64 {
        // xorshift64*: deterministic, no Foundation randomness.
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let random = state &* 2_685_821_657_736_338_717
        cents += Int64(random % 201) - 100
        cents = max(1_000_000, cents)
        return cents
    }
}

/// Whether a connection's subscription was accepted; shared by its reader and writer.
/// Application-level pings sent and not yet answered on one connection.
final class PingCounter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    func reset() { count.withLock { $0 = 0 } }
}

final class SubscriptionFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
