import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import Logging
public import Metrics
import NIOCore
import NIOSSL
public import ServiceLifecycle
import Synchronization
public import TickbusKafka
public import TickbusMarket
import WSClient

/// Keeps one source connected and its data flowing to Kafka, written once for every venue: connect (TLS
/// for `wss://`), subscribe, wait for the acknowledgement, keep the connection alive the venue's way,
/// reconnect when data stops (heartbeats do not count), when the venue asks, or before its connection
/// lifetime ends; back off exponentially with jitter while it is down. Every connect, disconnect and gap is
/// published to `events.status`. The socket reader never waits on the broker directly: decoded frames go
/// through a bounded queue to the publishing task, and only a full queue slows the reader.
public final class ConnectionSupervisor: Service, Sendable {
    public struct Configuration: Sendable {
        /// WebSocket URL. Default: the adapter's public endpoint.
        public var endpoint: String?
        /// How long the venue may take to acknowledge the subscription. Default: 10 s.
        public var ackTimeout: Duration = .seconds(10)
        /// Overrides the adapter's data timeout (reconnect after this long without data). Default: none.
        public var dataTimeout: Duration?
        public var backoff = Backoff.Configuration()
        /// Largest WebSocket message accepted; a longer one closes the connection (RFC 6455 1009), so this is
        /// well above any real frame and a merely odd frame ends in the dead-letter topic instead. Default: 16 MiB.
        public var maxMessageSize = 16 << 20
        /// Decoded frames waiting for the publisher. Default: 10 000.
        public var queueCapacity = 10_000
        public var topics = TopicNames()
        /// Overrides how long the adapter's REST fallback polls before the WebSocket is tried again. Default: none.
        public var fallbackDuration: Duration?
        /// Where metrics go. Default: the process-wide `MetricsSystem`.
        public var metricsFactory: (any MetricsFactory)?
        /// How long to stay away after a refusal retrying cannot fix (credentials refused, a policy close):
        /// long enough never to hammer the venue, short enough to recover once the setting is fixed and the
        /// process restarted is not needed. Default: 300 s.
        public var fixConfigurationDelay: Duration = .seconds(300)

        public init() {}
    }

    private enum Item: Sendable {
        case events([VenueEvent], receiveTime: Int64)
        case deadLetter(WebSocketFrame, reason: String, receiveTime: Int64)
        case status(ConnectionEvent, detail: String, time: Int64)
        case connected
    }

    private struct Liveness {
        var lastData: ContinuousClock.Instant
        var acknowledged = false
        var sawData = false
    }

    /// One connection's liveness, shared by its reader and watchdog.
    private final class LivenessBox: Sendable {
        let state = Mutex(Liveness(lastData: .now))
        func withLock<Result>(_ body: (inout Liveness) -> Result) -> Result { state.withLock { body(&$0) } }
    }

    private enum ConnectionEnd: Error {
        case stale(Duration, subscribed: Bool)
        case unacknowledged
        case rejected(String)
        case reconnectRequested(String)
        case fault(ConnectionFault)
        case closedByVenue
    }

    public let adapter: any VenueAdapter
    public let configuration: Configuration
    public let producerID: String
    private let producer: KafkaProducer
    private let logger: Logger
    private let queue: BoundedQueue<Item>
    private let counters = Mutex(Counters())
    private let metrics: SupervisorMetrics
    private let lastTick = Mutex<[Instrument: ContinuousClock.Instant]>([:])
    /// Set when data stopped (gap_start published) until the next connection's first tick.
    private let inGap = Mutex(false)
    /// The adapter's state between frames (envelope sequences per connection, observations sent per producer).
    private let session = Mutex(AdapterSession())

    /// Counts for tests and metrics.
    public struct Counters: Sendable, Equatable {
        public var connectAttempts = 0
        public var connections = 0
        public var frames = 0
        /// Ticks published, live and history.
        public var ticks = 0
        /// Of those, replayed history (snapshot entries not sent before).
        public var historyTicks = 0
        public var decodeErrors = 0
        /// Frames of another source's series, dropped (a provider pin the relay ignored).
        public var foreignFrames = 0
        /// Frames the relay announced as missed (PolyBolt `dropped`, `seq` jumps).
        public var missedFrames = 0
    }

    public var counts: Counters {
        var counts = counters.withLock { $0 }
        (counts.foreignFrames, counts.missedFrames) = session.withLock { ($0.foreignFrames, $0.missedFrames) }
        return counts
    }
    private var liveTicks: Int { counters.withLock { $0.ticks - $0.historyTicks } }
    public var queueDepth: Int { queue.depth }

    public init(adapter: any VenueAdapter, configuration: Configuration, producer: KafkaProducer, producerID: String, logger: Logger) {
        self.adapter = adapter
        self.configuration = configuration
        self.producer = producer
        self.producerID = producerID
        var logger = logger
        logger[metadataKey: "venue"] = "\(adapter.source)"
        self.logger = logger
        self.queue = BoundedQueue(capacity: configuration.queueCapacity)
        self.metrics = SupervisorMetrics(
            source: adapter.source, instruments: adapter.instruments,
            factory: configuration.metricsFactory ?? MetricsSystem.factory)
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.publishLoop() }
            group.addTask { await self.updateGauges() }
            await withGracefulShutdownHandler {
                await self.connectionLoop()
            } onGracefulShutdown: {}
            queue.finish()
            try await group.waitForAll()
        }
    }

    // MARK: Connections

    private func connectionLoop() async {
        var backoff = Backoff(configuration: configuration.backoff)
        let endpoint = configuration.endpoint ?? adapter.defaultEndpoint
        var failuresWithoutData = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            counters.withLock { $0.connectAttempts += 1 }
            if counters.withLock({ $0.connectAttempts }) > 1 { metrics.reconnects.increment() }
            let liveBefore = liveTicks
            var outcome = "closed by venue"
            var retryAfter: Duration?
            var retry = ConnectionFault.Retry.backoff
            let via = adapter.relay.map { "\($0): " } ?? ""
            do {
                let close = try await connectOnce(endpoint: endpoint)
                if Task.isShuttingDownGracefully || Task.isCancelled {
                    outcome = "shutdown: the producer is stopping"
                } else if let close {
                    let fault = adapter.closeFault(code: Int(close.code), reason: close.reason)
                    (outcome, retry) = (fault.reason, fault.retry)
                    if retry == .fixConfiguration { await queue.send(.status(.rejected, detail: outcome, time: Self.now())) }
                }
            } catch let end as ConnectionEnd {
                switch end {
                case .stale(let silence, let subscribed):
                    outcome = "\(via)\(subscribed ? "subscribed" : "connected"), no live data for \(Self.seconds(silence))"
                    await queue.send(.status(.stale, detail: outcome, time: Self.now()))
                case .unacknowledged:
                    outcome = "\(via)subscription not acknowledged within \(configuration.ackTimeout)"
                    await queue.send(.status(.subscribeTimeout, detail: outcome, time: Self.now()))
                case .rejected(let reason): outcome = "subscription rejected: \(reason)"
                case .reconnectRequested(let reason): outcome = "reconnect requested: \(reason)"
                case .fault(let fault): (outcome, retry) = (fault.reason, fault.retry)
                case .closedByVenue: outcome = "closed by venue"
                }
            } catch is CancellationError {
                outcome = "shutdown"
            } catch let error as ConnectionPreparationError {
                outcome = "connection failed: \(error)"
                retryAfter = error.retryAfter
            } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
                // swift-websocket does not say why: ask the server again over plain HTTP for status and headers.
                let refusal = await UpgradeProbe.refusal(of: endpoint)
                outcome = "\(via)the WebSocket upgrade was refused: \(refusal?.description ?? "no HTTP answer to a second request")"
                retryAfter = refusal?.retryAfter
                await queue.send(.status(.upgradeRefused, detail: outcome, time: Self.now()))
            } catch {
                outcome = "connection failed: \(error)"
            }
            // A connection that delivered live data resets the backoff and, having ended, opens a gap; history
            // (a snapshot) alone does not, so a relay that only replays its past keeps backing off.
            let delivered = liveTicks > liveBefore
            await queue.send(.status(.disconnected, detail: outcome, time: Self.now()))
            if delivered, !inGap.withLock({ gap in defer { gap = true }; return gap }) {
                await queue.send(.status(.gapStart, detail: outcome, time: Self.now()))
            }
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            if delivered, retry == .backoff { backoff.reset() }
            failuresWithoutData = delivered ? 0 : failuresWithoutData + 1
            if var fallback = adapter.pollingFallback, failuresWithoutData >= fallback.afterFailures {
                fallback.duration = configuration.fallbackDuration ?? fallback.duration
                await poll(fallback, endpoint: endpoint, failures: failuresWithoutData)
                failuresWithoutData = 0
                backoff.reset()
                continue
            }
            // A venue that rate-limits says how long to stay away; reconnecting sooner risks a ban (Binance's 418).
            let delay: Duration = switch retry {
            // Retry-After is the least wait; up to a tenth more spreads the clients it turned away together.
            // Never below the backoff: a Retry-After of 0 (or a date past) would otherwise loop hot.
            case .backoff: max(backoff.next(), retryAfter.map { $0 + .nanoseconds(Int64.random(in: 0...max(0, Backoff.nanoseconds($0) / 10))) } ?? .zero)
            case .onceWithin(let limit): .nanoseconds(Int64.random(in: 0...max(0, Backoff.nanoseconds(limit))))
            case .fixConfiguration: max(configuration.fixConfigurationDelay, retryAfter ?? .zero)
            }
            logger.warning("disconnected; reconnecting", metadata: ["reason": "\(outcome)", "delay": "\(delay)"])
            try? await Task.sleep(for: delay)
        }
    }

    /// One connection's life; throws why it ended, or returns the venue's close frame (code and reason) when
    /// the venue closed it.
    private func connectOnce(endpoint configured: String) async throws -> (code: UInt16, reason: String?)? {
        let adapter = self.adapter
        let configuration = self.configuration
        let plan = try await adapter.prepareConnection(endpoint: configured)
        let endpoint = plan.url
        let heartbeat = plan.heartbeat
        let dataTimeout = configuration.dataTimeout ?? heartbeat.dataTimeout
        let liveness = LivenessBox()
        var clientConfiguration = WebSocketClientConfiguration(maxFrameSize: min(configuration.maxMessageSize, 1 << 24))
        clientConfiguration.autoPing = .disabled
        let tls: TLSConfiguration? = endpoint.hasPrefix("wss") ? .makeClientConfiguration() : nil
        let queue = self.queue

        let close = try await WebSocketClient.connect(
            url: endpoint, configuration: clientConfiguration, tlsConfiguration: tls, logger: logger
        ) { inbound, outbound, _ in
            self.counters.withLock { $0.connections += 1 }
            self.session.withLock { $0.newConnection() }
            await queue.send(.connected)
            // Never the full URL: KuCoin's carries a token.
            await queue.send(.status(.connected, detail: (adapter.relay.map { "\($0) " } ?? "") + Self.withoutQuery(endpoint), time: Self.now()))
            for frame in adapter.handshakeFrames() { try await outbound.write(Self.outboundFrame(frame)) }
            if !adapter.subscribesAfterWelcome { try await self.subscribe(outbound, plan: plan) }
            let connectedAt = ContinuousClock.now
            // A venue that never acknowledges (RTDS) counts as subscribed once asked: its silence is then
            // "subscribed, no live data", judged by the data timeout alone.
            liveness.withLock { $0.lastData = connectedAt; $0.acknowledged = !adapter.acknowledgesSubscriptions }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Keepalive the venue's way.
                if case .clientFrame(let frame, let interval) = heartbeat.keepalive {
                    group.addTask {
                        while true {
                            try await Task.sleep(for: interval)
                            try await outbound.write(Self.outboundFrame(frame))
                        }
                    }
                }
                // Watchdog: data freshness, subscription ack, planned lifetime.
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(250))
                        let state = liveness.withLock { $0 }
                        let now = ContinuousClock.now
                        if now - state.lastData > dataTimeout { throw ConnectionEnd.stale(now - state.lastData, subscribed: state.acknowledged) }
                        if !state.acknowledged, now - connectedAt > configuration.ackTimeout { throw ConnectionEnd.unacknowledged }
                        if let lifetime = heartbeat.plannedReconnect, now - connectedAt > lifetime {
                            throw ConnectionEnd.reconnectRequested("planned reconnect after \(lifetime)")
                        }
                    }
                }
                // Reader.
                group.addTask {
                    for try await message in inbound.messages(maxSize: configuration.maxMessageSize) {
                        let frame: WebSocketFrame = switch message {
                        case .text(let text): WebSocketFrame(opcode: .text, bytes: Array(text.utf8))
                        case .binary(let buffer): WebSocketFrame(opcode: .binary, bytes: Array(buffer.readableBytesView))
                        }
                        try await self.handle(frame, outbound: outbound, liveness: liveness, plan: plan)
                    }
                    // The venue closed: returning lets the library hand back its close frame.
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
        guard let close else { throw ConnectionEnd.closedByVenue }
        return (UInt16(webSocketErrorCode: close.closeCode), close.reason)
    }

    private func subscribe(_ outbound: WebSocketOutboundWriter, plan: ConnectionPlan) async throws {
        for frame in plan.subscriptions ?? adapter.subscribeFrames(at: Self.now()) {
            try await outbound.write(Self.outboundFrame(frame))
        }
    }

    static func outboundFrame(_ frame: WebSocketFrame) -> WebSocketOutboundWriter.OutboundFrame {
        frame.opcode == .text ? .text(String(decoding: frame.bytes, as: UTF8.self)) : .binary(ByteBuffer(bytes: frame.bytes))
    }

    public static func withoutQuery(_ url: String) -> String {
        url.firstIndex(of: "?").map { String(url[..<$0]) } ?? url
    }

    private func handle(_ frame: WebSocketFrame, outbound: WebSocketOutboundWriter, liveness: LivenessBox, plan: ConnectionPlan) async throws {
        let receiveTime = Self.now()
        countFrame()
        var events: [VenueEvent] = []
        let (decoded, foreign, missed) = session.withLock { session -> (VenueDecodeError?, Int, Int) in
            let before = (session.foreignFrames, session.missedFrames)
            do throws(VenueDecodeError) {
                try adapter.decode(frame, receiveTime: receiveTime, session: &session, into: &events)
                return (nil, session.foreignFrames - before.0, session.missedFrames - before.1)
            } catch {
                return (error, 0, 0)
            }
        }
        if foreign > 0 { metrics.foreignFrames.increment(by: foreign) }
        if missed > 0 { metrics.missedFrames.increment(by: missed) }
        if let error = decoded {
            await deadLetter(frame, error, receiveTime: receiveTime)
            return
        }
        var ticks = 0, history = 0
        for event in events {
            switch event {
            case .tick(let tick):
                ticks += 1
                lastTick.withLock { $0[tick.instrument] = .now }
            case .history:
                history += 1
            case .status(let event, let detail):
                await queue.send(.status(event, detail: detail, time: receiveTime))
            case .fault(let fault):
                await queue.send(.status(.rejected, detail: fault.reason, time: receiveTime))
                throw ConnectionEnd.fault(fault)
            case .subscribed(let detail):
                liveness.withLock { $0.acknowledged = true }
                await queue.send(.status(.subscribed, detail: detail, time: receiveTime))
            case .rejected(let reason):
                await queue.send(.status(.rejected, detail: reason, time: receiveTime))
                throw ConnectionEnd.rejected(reason)
            case .reconnectRequested(let reason):
                await queue.send(.status(.reconnectRequested, detail: reason, time: receiveTime))
                throw ConnectionEnd.reconnectRequested(reason)
            case .reply(let reply):
                try await outbound.write(Self.outboundFrame(reply))
            case .welcome:
                if adapter.subscribesAfterWelcome { try await subscribe(outbound, plan: plan) }
            case .pong, .heartbeat:
                break
            }
        }
        if history > 0 {
            counters.withLock { $0.ticks += history; $0.historyTicks += history }
            metrics.ticks.increment(by: history)
            metrics.historyTicks.increment(by: history)
            if ticks == 0 { await queue.send(.events(events, receiveTime: receiveTime)) }
        }
        if ticks > 0 {
            let first = liveness.withLock { state -> Bool in
                state.lastData = .now
                // A venue that streams without acknowledging (RTDS) has evidently accepted the subscription.
                state.acknowledged = true
                defer { state.sawData = true }
                return !state.sawData
            }
            countTicks(ticks)
            if first, inGap.withLock({ gap in defer { gap = false }; return gap }) {
                await queue.send(.status(.gapEnd, detail: "data flowing again", time: receiveTime))
            }
            await queue.send(.events(events, receiveTime: receiveTime))
        }
    }

    private func countFrame() {
        counters.withLock { $0.frames += 1 }
        metrics.frames.increment()
    }

    private func countTicks(_ count: Int) {
        counters.withLock { $0.ticks += count }
        metrics.ticks.increment(by: count)
    }

    /// A frame (or REST answer) the adapter cannot decode: counted and sent to `dlq.producer` with its bytes.
    private func deadLetter(_ frame: WebSocketFrame, _ error: VenueDecodeError, receiveTime: Int64) async {
        counters.withLock { $0.decodeErrors += 1 }
        metrics.decodeErrors.increment()
        await queue.send(.deadLetter(frame, reason: error.description, receiveTime: receiveTime))
    }

    // MARK: REST fallback

    /// Polls the venue's REST API for `fallback.duration` (ticks go the usual way), then returns so the
    /// WebSocket is tried again.
    private func poll(_ fallback: PollingFallback, endpoint: String, failures: Int) async {
        let url = fallback.url(endpoint)
        await queue.send(.status(.fallbackStarted, detail: "websocket failed \(failures) times without data; polling \(Self.withoutQuery(url)) every \(fallback.interval) for \(fallback.duration)", time: Self.now()))
        logger.warning("websocket refused; polling the REST API", metadata: ["url": "\(Self.withoutQuery(url))"])
        let until = ContinuousClock.now + fallback.duration
        var polled = 0
        while ContinuousClock.now < until && !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                guard let target = URL(string: url) else { break }
                let (body, response) = try await URLSession.shared.data(for: URLRequest(url: target, timeoutInterval: 5))
                let http = response as? HTTPURLResponse
                guard http?.statusCode == 200 else {
                    throw ConnectionPreparationError(status: http?.statusCode ?? 0, headers: http?.allHeaderFields ?? [:], what: "REST poll")
                }
                let receiveTime = Self.now()
                countFrame()
                let frame = WebSocketFrame(opcode: .text, bytes: Array(body))
                do {
                    let events = try adapter.decodePoll(frame.bytes, receiveTime: receiveTime)
                    let ticks = events.filter { if case .tick = $0 { true } else { false } }
                    for case .tick(let tick) in ticks { lastTick.withLock { $0[tick.instrument] = .now } }
                    countTicks(ticks.count)
                    polled += ticks.count
                    if !ticks.isEmpty { await queue.send(.events(ticks, receiveTime: receiveTime)) }
                } catch {
                    await deadLetter(frame, error, receiveTime: receiveTime)
                }
            } catch {
                logger.warning("REST poll failed", metadata: ["error": "\(error)"])
                if let wait = (error as? ConnectionPreparationError)?.retryAfter, wait > fallback.interval {
                    try? await Task.sleep(for: wait - fallback.interval)
                }
            }
            try? await Task.sleep(for: fallback.interval)
        }
        await queue.send(.status(.fallbackEnded, detail: "\(polled) ticks polled; trying the websocket again", time: Self.now()))
    }

    // MARK: Metrics

    /// Once a second: queue depth and, per instrument, seconds since its last tick (since start if none).
    private func updateGauges() async {
        let start = ContinuousClock.now
        while !Task.isCancelled && !queue.isFinished {
            metrics.queueDepth.record(queue.depth)
            let last = lastTick.withLock { $0 }
            let now = ContinuousClock.now
            for (instrument, gauge) in metrics.secondsSinceLastTick {
                let silence = now - (last[instrument] ?? start)
                gauge.record(Double(silence.components.seconds) + Double(silence.components.attoseconds) / 1e18)
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    // MARK: Publishing

    private func publishLoop() async throws {
        var publisher = TickPublisher(producer: producer, source: adapter.source, producerID: producerID, topics: configuration.topics)
        while let item = await queue.next() {
            apply(item, to: &publisher)
            // Drain what else is waiting into the same batch.
            while queue.depth > 0, let more = await queue.next() { apply(more, to: &publisher) }
            try await publisher.flush()
        }
        try await publisher.flush()
    }

    private func apply(_ item: Item, to publisher: inout TickPublisher) {
        switch item {
        case .events(let events, _): publisher.add(events)
        case .deadLetter(let frame, let reason, let time): publisher.addDeadLetter(frame, reason: reason, receiveTime: time)
        case .status(let event, let detail, let time): publisher.addStatus(event, detail: detail, time: time)
        case .connected: publisher.connected()
        }
    }

    static func now() -> Int64 { WallClock.microseconds() }

    /// `45 s`, `2.5 s`: how long a silence lasted, for status details.
    static func seconds(_ duration: Duration) -> String {
        let tenths = Backoff.nanoseconds(duration) / 100_000_000
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
}

/// The supervisor's Prometheus-named metrics, labelled by source (and instrument).
struct SupervisorMetrics: Sendable {
    let frames: Counter
    let ticks: Counter
    let decodeErrors: Counter
    let reconnects: Counter
    /// Snapshot entries published as history (not sent before), part of `ticks`.
    let historyTicks: Counter
    /// Frames of another source's series, dropped.
    let foreignFrames: Counter
    /// Frames the relay announced as missed.
    let missedFrames: Counter
    let queueDepth: Gauge
    let secondsSinceLastTick: [Instrument: Gauge]

    init(source: SourceID, instruments: [Instrument], factory: any MetricsFactory) {
        let dimensions = [("source", source.rawValue)]
        frames = Counter(label: "tickbus_producer_frames_total", dimensions: dimensions, factory: factory)
        ticks = Counter(label: "tickbus_producer_ticks_total", dimensions: dimensions, factory: factory)
        decodeErrors = Counter(label: "tickbus_producer_decode_errors_total", dimensions: dimensions, factory: factory)
        reconnects = Counter(label: "tickbus_producer_reconnects_total", dimensions: dimensions, factory: factory)
        historyTicks = Counter(label: "tickbus_producer_history_ticks_total", dimensions: dimensions, factory: factory)
        foreignFrames = Counter(label: "tickbus_producer_foreign_frames_total", dimensions: dimensions, factory: factory)
        missedFrames = Counter(label: "tickbus_producer_missed_frames_total", dimensions: dimensions, factory: factory)
        queueDepth = Gauge(label: "tickbus_producer_queue_depth", dimensions: dimensions, factory: factory)
        var gauges: [Instrument: Gauge] = [:]
        for instrument in instruments {
            gauges[instrument] = Gauge(
                label: "tickbus_producer_seconds_since_last_tick",
                dimensions: dimensions + [("instrument", instrument.description)], factory: factory)
        }
        secondsSinceLastTick = gauges
    }
}
