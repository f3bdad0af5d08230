import Foundation
public import Logging
import PostgresNIO
import Synchronization
import TickbusKafka
public import TickbusMarket
import TickbusPostgres
import VenueSim

/// The faults, in the order `make drills` runs them.
public enum DrillKind: String, CaseIterable, Sendable {
    case brokerCut = "broker-link-cut"
    case postgresOutage = "postgres-outage"
    case aggregatorKill = "aggregator-kill-9"
    case sinkKill = "sink-kill-9"
    case venueStall = "venue-stall-then-drop"
    case malformedFlood = "malformed-flood"
}

/// What one drill measured, and every invariant it found broken.
public struct DrillResult: Sendable {
    /// The drill, or `after all drills` for the final drain.
    public var name: String
    /// Ticks per second the producers published while the drill ran.
    public var load: Double = 0
    public var published = 0
    public var stored = 0
    public var lost = 0
    public var duplicated = 0
    /// From the end of the fault (the kill, for kill -9) until health reports PASS and Postgres holds a
    /// snapshot of every market that stayed up for a second after the fault (the whole path works again).
    public var recoverySeconds: Double?
    /// Bad frames venue-sim sent during the drill and dead letters stored for them.
    public var deadLettersInjected = 0
    public var deadLettersStored = 0
    /// Highest resident memory of any service during the drill, and which.
    public var peakMemory = 0
    public var peakMemoryService = ""
    public var violations: [String] = []
    public var passed: Bool { violations.isEmpty && lost == 0 && duplicated == 0 }
}

/// Runs drills one at a time against a started ``DrillPipeline`` and checks, after each: every tick the
/// broker acknowledged is in Postgres exactly once; no second without a snapshot for the sources that stayed
/// up; window opens unchanged; dead letters exactly the injected bad frames; no process exited but the one
/// killed; health PASS again within the bound; every service's memory under the bound.
public final class DrillRunner: Sendable {
    public struct Options: Sendable {
        /// How long a fault lasts (link cut, outage, stall). Default: 20 s.
        public var faultDuration: Duration = .seconds(20)
        /// Health must be PASS again within this after the fault ends. Default: 90 s.
        public var recoveryBound: Duration = .seconds(90)
        /// Resident memory no service may exceed. Default: 512 MiB.
        public var memoryBound = 512 << 20
        /// Of each malformed kind per source in the flood (oversized: ``oversizedPerSource``). Default: 20.
        public var malformedPerKind = 20
        /// 10 MiB frames per source in the flood. Default: 2.
        public var oversizedPerSource = 2
        /// The source that stalls and then drops. Default: OKX.
        public var stalledSource = SourceID.okx
        public init() {}
    }

    let pipeline: DrillPipeline
    let options: Options
    let logger: Logger
    let progress: @Sendable (String) -> Void
    private let ledger: TickLedger
    /// When the previous accounting window ended (the load is the window's ticks over its length).
    private let markTime = Mutex(ContinuousClock.now)
    private let peaks = Mutex<[String: Int]>([:])

    public init(pipeline: DrillPipeline, options: Options, logger: Logger, progress: @escaping @Sendable (String) -> Void) {
        self.pipeline = pipeline
        self.options = options
        self.logger = logger
        self.progress = progress
        ledger = TickLedger(pipeline: pipeline, logger: logger)
    }

    /// Runs the drills in order, then stops the producers and checks that, over the whole run, every
    /// producer's records are `seq` 1...n once each and all of them were stored.
    public func run(_ drills: [DrillKind]) async throws -> (results: [DrillResult], final: DrillResult) {
        let sampling = Task { await sampleMemory() }
        defer { sampling.cancel() }
        guard try await healthPasses(within: .seconds(120)) else {
            throw DrillError("health never reported PASS after the start: \(pipeline.health().body.prefix(2000))")
        }
        // The start-up's ticks, accounted apart, so the first drill's window is only its own.
        var warmUp = DrillResult(name: "start-up")
        try await account(into: &warmUp)
        var results: [DrillResult] = []
        for drill in drills {
            progress("drill \(drill.rawValue): starting")
            let result = try await run(drill)
            progress("drill \(drill.rawValue): \(result.passed ? "passed" : "FAILED: \(result.violations.joined(separator: "; "))")")
            results.append(result)
        }
        progress("stopping the producers; the rest drains")
        try pipeline.stopProducers()
        var drain = DrillResult(name: "drain")
        try await account(into: &drain, final: true)
        // The whole run: every window, the drain after the producers stopped, and seq 1...n once per producer.
        var total = DrillResult(name: "whole run (producers stopped, drained)")
        for part in [warmUp] + results + [drain] {
            total.published += part.published
            total.stored += part.stored
            total.lost += part.lost
            total.duplicated += part.duplicated
            total.deadLettersInjected += part.deadLettersInjected
            total.deadLettersStored += part.deadLettersStored
        }
        total.violations = results.flatMap(\.violations).isEmpty ? warmUp.violations + drain.violations
            : ["drills failed"] + warmUp.violations + drain.violations
        total.violations += await ledger.sequenceProblems()
        return (results, total)
    }

    private func run(_ drill: DrillKind) async throws -> DrillResult {
        var result = DrillResult(name: drill.rawValue)
        if !(try await healthPasses(within: options.recoveryBound)) {
            result.violations.append("health not PASS before the drill: \(pipeline.health().body.prefix(500))")
        }
        let postgres = pipeline.postgres
        let opensBefore = try await windowOpens(postgres)
        let exitsBefore = Dictionary(uniqueKeysWithValues: pipeline.services.map { ($0, pipeline.exits($0)) })
        let injectedBefore = try injectedBadFrames()
        let prefix = pipeline.configuration.prefix
        let storedBefore = try await integers("SELECT count(*) FROM dead_letters WHERE topic = '\(prefix)dlq.producer'", postgres).first ?? 0
        peaks.withLock { $0 = [:] }
        let startedWall = Date().timeIntervalSince1970

        var killed: String?
        var quiet: SourceID?
        switch drill {
        case .brokerCut:
            await pipeline.proxy.cut()
            try await Task.sleep(for: options.faultDuration)
            try await pipeline.proxy.restore()
        case .postgresOutage:
            try pipeline.stopPostgres()
            try await Task.sleep(for: options.faultDuration)
            try pipeline.startPostgres()
        case .aggregatorKill, .sinkKill:
            killed = drill == .aggregatorKill ? "aggregator" : "sink"
            // Let it work for a while, then kill it half-way through a second.
            try await Task.sleep(for: .seconds(5))
            let fraction = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 1)
            try await Task.sleep(for: .milliseconds(Int((fraction < 0.5 ? 0.5 - fraction : 1.5 - fraction) * 1000)))
            let pid = try pipeline.kill9(killed!)
            progress("  killed \(killed!) (pid \(pid)) with SIGKILL; its supervisor restarts it")
        case .venueStall:
            quiet = options.stalledSource
            try pipeline.control(options.stalledSource, "stall")
            try await Task.sleep(for: options.faultDuration)
            try pipeline.control(options.stalledSource, "disconnect")
            try await Task.sleep(for: .seconds(2))
            try pipeline.control(options.stalledSource, "resume")
        case .malformedFlood:
            // In ten rounds, so bad frames stay mixed with data for the whole fault.
            let rounds = 10
            for round in 0..<rounds {
                for source in pipeline.configuration.sources {
                    for kind in MalformedKind.applicable(to: source) {
                        let total = kind == .oversized ? options.oversizedPerSource : options.malformedPerKind
                        let count = total / rounds + (round < total % rounds ? 1 : 0)
                        if count > 0 { try pipeline.control(source, "malformed", query: "kind=\(kind.rawValue)&count=\(count)") }
                    }
                }
                try await Task.sleep(for: options.faultDuration / rounds)
            }
            let sent = try await eventually(within: .seconds(60)) {
                try self.pipeline.configuration.sources.allSatisfy { try self.pipeline.simulatorStatistics($0).pending == 0 }
            }
            if !sent { result.violations.append("venue-sim did not send every queued bad frame") }
        }
        let faultEnded = ContinuousClock.now
        let faultEndedSecond = Int64(Date().timeIntervalSince1970) + 1
        let alive = pipeline.configuration.sources.filter { $0 != quiet }.map { "'\($0.rawValue)'" }.joined(separator: ",")

        let recovered = try await eventually(within: options.recoveryBound) {
            guard self.pipeline.health().status == 200 else { return false }
            return try await self.newestCommonSecond(alive, postgres) >= faultEndedSecond
        }
        if recovered {
            result.recoverySeconds = (ContinuousClock.now - faultEnded).seconds
        } else {
            result.violations.append("not recovered within \(options.recoveryBound) of the fault's end (health PASS and snapshots after it): \(pipeline.health().body.prefix(800))")
        }
        try await Task.sleep(for: .seconds(5))
        let endWall = Date().timeIntervalSince1970
        try await account(into: &result)

        // Every second of the drill has a snapshot of every market of every source that stayed up.
        let first = Int(startedWall.rounded(.up)), last = Int(endWall) - 10
        let written = try await eventually(within: .seconds(60)) { try await self.newestCommonSecond(alive, postgres) >= Int64(last) }
        if !written { result.violations.append("snapshots did not reach the drill's last second in Postgres") }
        let holes = try await texts("""
            SELECT s.source || ' ' || s.instrument || ': ' || count(p.second) FROM
                (SELECT DISTINCT source, instrument FROM snapshots_1s WHERE source IN (\(alive))) s
            LEFT JOIN snapshots_1s p ON p.source = s.source AND p.instrument = s.instrument
                 AND p.second BETWEEN to_timestamp(\(first)) AND to_timestamp(\(last))
            GROUP BY s.source, s.instrument HAVING count(p.second) <> \(last - first + 1)
            """, postgres)
        if !holes.isEmpty { result.violations.append("seconds without a snapshot (of \(last - first + 1)): \(holes.joined(separator: ", "))") }

        let opensAfter = try await windowOpens(postgres)
        let changed = opensBefore.filter { opensAfter[$0.key] != $0.value }.map { "\($0.key): \($0.value) → \(opensAfter[$0.key] ?? "gone")" }
        if !changed.isEmpty { result.violations.append("window opens changed: \(changed.joined(separator: ", "))") }

        // Dead letters: exactly the bad frames venue-sim sent, and the sink refused nothing.
        let injected = try injectedBadFrames()
        result.deadLettersInjected = injected - injectedBefore
        _ = try await eventually(within: .seconds(60)) {
            try await self.integers("SELECT count(*) FROM dead_letters WHERE topic = '\(prefix)dlq.producer'", postgres).first == Int64(injected)
        }
        let stored = try await integers("SELECT count(*) FROM dead_letters WHERE topic = '\(prefix)dlq.producer'", postgres).first ?? -1
        let refused = try await integers("SELECT count(*) FROM dead_letters WHERE topic = '\(prefix)dlq.sink'", postgres).first ?? -1
        result.deadLettersStored = Int(stored - storedBefore)
        if stored != Int64(injected) { result.violations.append("\(stored) producer dead letters stored, \(injected) bad frames sent") }
        if refused != 0 { result.violations.append("\(refused) records refused by the sink") }
        if drill == .venueStall {
            let gaps = try await integers("""
                SELECT count(*) FILTER (WHERE event = 'gap_start'), count(*) FILTER (WHERE event = 'gap_end') FROM venue_events
                WHERE source = '\(options.stalledSource.rawValue)' AND ts >= to_timestamp(\(Int(startedWall)))
                """, postgres)
            if gaps.count != 2 || gaps[0] < 1 || gaps[1] < 1 { result.violations.append("no gap_start/gap_end of \(options.stalledSource) in venue_events: \(gaps)") }
        }

        for service in pipeline.services {
            let exits = pipeline.exits(service) - (exitsBefore[service] ?? 0)
            let expected = service == killed ? 1 : 0
            if exits != expected { result.violations.append("\(service) exited \(exits) times (expected \(expected))") }
        }
        let (service, peak) = peaks.withLock { $0.max { $0.value < $1.value } } ?? ("", 0)
        result.peakMemory = peak
        result.peakMemoryService = service
        let over = peaks.withLock { $0.filter { $0.value > options.memoryBound } }
        if !over.isEmpty { result.violations.append("memory over \(options.memoryBound >> 20) MiB: \(over.map { "\($0.key) \($0.value >> 20) MiB" })") }
        return result
    }

    /// Marks the end offsets now (`final`: reads to the end instead), waits for the sink to commit past what
    /// was read, and accounts for the window since the previous mark.
    private func account(into result: inout DrillResult, final: Bool = false) async throws {
        let end = final ? nil : try await ledger.endOffsets()
        let now = ContinuousClock.now
        let elapsed = (now - markTime.withLock { $0 }).seconds
        markTime.withLock { $0 = now }
        let (records, reached) = try await ledger.read(to: end)
        if !(try await eventually(within: .seconds(120)) { try await ledger.sinkCommitted(reached) }) {
            result.violations.append("the sink did not commit up to the mark within 120 s")
        }
        let window = try await ledger.lookUp(records)
        result.published = window.published
        result.stored = window.stored
        result.lost = window.lost
        result.duplicated = window.duplicatedRows + window.duplicatedRecords
        result.load = Double(window.published) / max(1, elapsed)
        if window.lost > 0 { result.violations.append("lost \(window.lost), e.g. \(window.lostExamples.prefix(5).joined(separator: ", "))") }
        if window.duplicatedRecords > 0 { result.violations.append("\(window.duplicatedRecords) duplicate records in the broker") }
        if window.duplicatedRows > 0 { result.violations.append("\(window.duplicatedRows) duplicate rows in ticks") }
    }

    // MARK: Helpers

    /// The newest second every market of these sources has a stored snapshot of.
    private func newestCommonSecond(_ sources: String, _ settings: PostgresSettings) async throws -> Int64 {
        try await integers("""
            SELECT extract(epoch FROM min(last))::bigint FROM (SELECT max(second) AS last FROM snapshots_1s
            WHERE source IN (\(sources)) GROUP BY source, instrument) s
            """, settings).first ?? 0
    }

    private func healthPasses(within limit: Duration) async throws -> Bool {
        try await eventually(within: limit) { self.pipeline.health().status == 200 }
    }

    private func injectedBadFrames() throws -> Int {
        try pipeline.configuration.sources.reduce(0) { $0 + (try pipeline.simulatorStatistics($1).malformedTotal) }
    }

    private func windowOpens(_ settings: PostgresSettings) async throws -> [String: String] {
        let pairs = try await texts("""
            SELECT source || ' ' || instrument || ' ' || to_char(window_start AT TIME ZONE 'UTC', 'HH24:MI') || '=' || open::text FROM windows_15m
            """, settings)
        return Dictionary(pairs.map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { first, _ in first })
    }

    private func texts(_ sql: String, _ settings: PostgresSettings) async throws -> [String] {
        let connection = try await settings.connect(logger: logger)
        defer { Task { try? await connection.close() } }
        var result: [String] = []
        for try await text in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String.self) { result.append(text) }
        return result
    }

    private func integers(_ sql: String, _ settings: PostgresSettings) async throws -> [Int64] {
        let connection = try await settings.connect(logger: logger)
        defer { Task { try? await connection.close() } }
        var result: [Int64] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
            for cell in row { result.append(try cell.decode(Int64?.self) ?? 0) }
        }
        return result
    }

    private func sampleMemory() async {
        while !Task.isCancelled {
            for service in pipeline.services {
                guard let bytes = pipeline.residentBytes(service) else { continue }
                peaks.withLock { $0[service] = max($0[service] ?? 0, bytes) }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

/// Polls `condition` until true or the deadline; the last answer. (Tests use it too.)
public func eventually(within limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(200))
    }
    return try await condition()
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
