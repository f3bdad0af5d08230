import Logging
import PostgresNIO
public import TickbusMarket
import TickbusPostgres

/// What Postgres says about the pipeline at one moment (all times µs since epoch).
public struct PostgresMeasurements: Sendable, Equatable {
    public struct FeedRow: Sendable, Equatable {
        /// Second of the newest fresh snapshot and its `age_ms` (the newest tick's event time is
        /// `second + 1 s − age`); `nil` when there is none within the lookback.
        public var newestSecond: Int64?
        public var newestAgeMillis: Int64?
        /// Fresh snapshots and all snapshots within the fill window.
        public var freshSeconds: Int
        public var snapshotSeconds: Int
        /// The first snapshot within the fill window, and whether the feed has any before it (within the
        /// lookback): a feed without is new, and its fill rate counts only the seconds since it started.
        public var firstSecondInWindow: Int64? = nil
        public var hasEarlierSnapshots = true

        public var newestEventTime: Int64? {
            guard let newestSecond else { return nil }
            return newestSecond + 1_000_000 - (newestAgeMillis ?? 0) * 1000
        }
    }

    public struct WindowRow: Sendable, Equatable {
        public var windowStart: Int64
        public var open: Double
        public var openDelayMillis: Int64
        public var current: Double?
        public var ticks: Int64
        public var final: Bool
        public var complete: Bool
        public var maxGapMillis: Int64
    }

    /// What a source's producer last said in `events.status` (docs/health.md "Connection state").
    public struct ConnectionRow: Sendable, Equatable {
        /// The newest event other than gap bookkeeping, its detail and time (µs).
        public var state: String
        public var stateDetail: String
        public var stateTime: Int64
        /// The newest problem (stale, rejected, disconnected, upgrade_refused, wrong_source, …), if any in the lookback.
        public var problem: String?
        public var problemDetail: String?
        public var problemTime: Int64?
        /// The newest `connected` detail: relay and endpoint (`polybolt wss://…`).
        public var connectedDetail: String?
        /// Disconnects since data last flowed (`gap_end`), within the last hour.
        public var failedAttempts: Int

        public init(state: String, stateDetail: String, stateTime: Int64, problem: String? = nil, problemDetail: String? = nil,
                    problemTime: Int64? = nil, connectedDetail: String? = nil, failedAttempts: Int = 0) {
            self.state = state
            self.stateDetail = stateDetail
            self.stateTime = stateTime
            self.problem = problem
            self.problemDetail = problemDetail
            self.problemTime = problemTime
            self.connectedDetail = connectedDetail
            self.failedAttempts = failedAttempts
        }

        /// The relay named in the `connected` detail (`polybolt`, `rtds`), if any.
        public var relay: String? {
            guard let first = connectedDetail?.split(separator: " ").first, !first.contains("://") else { return nil }
            return String(first)
        }
    }

    public var schemaVersion: Int
    public var feeds: [Feed: FeedRow] = [:]
    /// Per source, its producer's latest connection state; absent when it published nothing in the lookback.
    public var connections: [SourceID: ConnectionRow] = [:]
    public var sinkLastCommit: Int64?
    public var sinkInstances = 0
    /// The Chainlink windows starting at or after the previous boundary.
    public var windows: [WindowRow] = []
    public var roundTrip: Duration = .zero
}

/// Reads the snapshots, windows and sink progress the sink wrote; keeps one connection between evaluations.
final class PostgresProbe: @unchecked Sendable {
    private let configuration: HealthConfiguration
    private let logger: Logger
    // One evaluation at a time (HealthEvaluator is an actor), so the connection is never shared.
    private var connection: PostgresConnection?

    /// How far back the newest snapshot of a feed is looked for: lag beyond it reads as "none for a day".
    static let lookback: Int64 = 86_400_000_000

    init(configuration: HealthConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func close() async {
        if let connection { try? await connection.close() }
        connection = nil
    }

    func measure(now: Int64) async throws(DatabaseError) -> PostgresMeasurements {
        let started = ContinuousClock.now
        do throws(DatabaseError) {
            let connection = try await connected()
            var result = PostgresMeasurements(schemaVersion: try await schemaVersion(connection))
            guard result.schemaVersion > 0 else {
                throw DatabaseError(.server, "the Tickbus tables are missing: run 'sink migrate' (or start the sink)")
            }
            result.feeds = try await feeds(connection, now: now)
            result.connections = try await connections(connection, now: now)
            (result.sinkLastCommit, result.sinkInstances) = try await sinkProgress(connection)
            result.windows = try await windows(connection, now: now)
            result.roundTrip = ContinuousClock.now - started
            return result
        } catch {
            await close()
            throw error
        }
    }

    private func connected() async throws(DatabaseError) -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let fresh = try await configuration.postgres.connect(logger: logger)
        connection = fresh
        return fresh
    }

    private func schemaVersion(_ connection: PostgresConnection) async throws(DatabaseError) -> Int {
        do {
            let rows = try await connection.query("SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger)
            for try await version in rows.decode(Int.self) { return version }
            return 0
        } catch {
            let failure = DatabaseError(error, while: "reading the schema version")
            if failure.sqlState == "42P01" { return 0 }
            throw failure
        }
    }

    private func feeds(_ connection: PostgresConnection, now: Int64) async throws(DatabaseError) -> [Feed: PostgresMeasurements.FeedRow] {
        let window = HealthWindow(now: now, configuration: configuration)
        let sources = configuration.feeds.map(\.source.rawValue)
        let instruments = configuration.feeds.map(\.instrument.description)
        let lookbackStart = Double(now - Self.lookback) / 1e6
        let windowStart = Double(window.start) / 1e6
        let windowEnd = Double(window.end) / 1e6
        do {
            let rows = try await connection.query("""
                SELECT f.source, f.instrument, (extract(epoch FROM n.second) * 1000000)::bigint, n.age_ms,
                       coalesce(w.fresh, 0), coalesce(w.total, 0), (extract(epoch FROM w.first) * 1000000)::bigint,
                       EXISTS (SELECT 1 FROM snapshots_1s e WHERE e.source = f.source AND e.instrument = f.instrument
                               AND e.second >= to_timestamp(\(lookbackStart)) AND e.second < to_timestamp(\(windowStart)))
                FROM unnest(\(sources)::text[], \(instruments)::text[]) AS f(source, instrument)
                LEFT JOIN LATERAL (
                    SELECT s.second, s.age_ms FROM snapshots_1s s
                    WHERE s.source = f.source AND s.instrument = f.instrument AND s.fresh
                      AND s.second >= to_timestamp(\(lookbackStart))
                    ORDER BY s.second DESC LIMIT 1) n ON true
                LEFT JOIN LATERAL (
                    SELECT count(*) FILTER (WHERE s.fresh) AS fresh, count(*) AS total, min(s.second) AS first FROM snapshots_1s s
                    WHERE s.source = f.source AND s.instrument = f.instrument
                      AND s.second >= to_timestamp(\(windowStart)) AND s.second < to_timestamp(\(windowEnd))) w ON true
                """, logger: logger)
            var result: [Feed: PostgresMeasurements.FeedRow] = [:]
            for try await (source, instrument, second, age, fresh, total, first, earlier)
                in rows.decode((String, String, Int64?, Int64?, Int64, Int64, Int64?, Bool).self) {
                guard let feed = configuration.feeds.first(where: { $0.source.rawValue == source && $0.instrument.description == instrument }) else { continue }
                result[feed] = .init(newestSecond: second, newestAgeMillis: age, freshSeconds: Int(fresh), snapshotSeconds: Int(total),
                                     firstSecondInWindow: first, hasEarlierSnapshots: earlier)
            }
            return result
        } catch {
            throw DatabaseError(error, while: "reading the snapshots")
        }
    }

    /// Problems a producer reports, newest first (docs/health.md).
    static let problemEvents = ["stale", "rejected", "subscribe_timeout", "disconnected", "upgrade_refused", "wrong_source", "gap"]

    private func connections(_ connection: PostgresConnection, now: Int64) async throws(DatabaseError) -> [SourceID: PostgresMeasurements.ConnectionRow] {
        let sources = Array(Set(configuration.feeds.map(\.source.rawValue))).sorted()
        let lookbackStart = Double(now - Self.lookback) / 1e6
        let hourAgo = Double(now - 3_600_000_000) / 1e6
        let problems = Self.problemEvents
        do {
            let rows = try await connection.query("""
                SELECT f.source, l.event, l.detail, (extract(epoch FROM l.ts) * 1000000)::bigint,
                       p.event, p.detail, (extract(epoch FROM p.ts) * 1000000)::bigint, c.detail,
                       (SELECT count(*) FROM venue_events d WHERE d.source = f.source AND d.event = 'disconnected'
                          AND d.ts >= greatest(to_timestamp(\(hourAgo)), coalesce(g.ts, to_timestamp(\(hourAgo)))))
                FROM unnest(\(sources)::text[]) AS f(source)
                JOIN LATERAL (
                    SELECT event, detail, ts FROM venue_events
                    WHERE source = f.source AND ts >= to_timestamp(\(lookbackStart)) AND event NOT IN ('gap_start', 'gap_end', 'gap')
                    ORDER BY ts DESC LIMIT 1) l ON true
                LEFT JOIN LATERAL (
                    SELECT event, detail, ts FROM venue_events
                    WHERE source = f.source AND ts >= to_timestamp(\(lookbackStart)) AND event = ANY(\(problems)::text[])
                    ORDER BY ts DESC LIMIT 1) p ON true
                LEFT JOIN LATERAL (
                    SELECT detail FROM venue_events
                    WHERE source = f.source AND ts >= to_timestamp(\(lookbackStart)) AND event = 'connected'
                    ORDER BY ts DESC LIMIT 1) c ON true
                LEFT JOIN LATERAL (
                    SELECT ts FROM venue_events
                    WHERE source = f.source AND ts >= to_timestamp(\(lookbackStart)) AND event = 'gap_end'
                    ORDER BY ts DESC LIMIT 1) g ON true
                """, logger: logger)
            var result: [SourceID: PostgresMeasurements.ConnectionRow] = [:]
            for try await (source, event, detail, time, problem, problemDetail, problemTime, connected, failures)
                in rows.decode((String, String, String, Int64, String?, String?, Int64?, String?, Int64).self) {
                guard let id = SourceID(rawValue: source) else { continue }
                result[id] = .init(state: event, stateDetail: detail, stateTime: time, problem: problem, problemDetail: problemDetail,
                                   problemTime: problemTime, connectedDetail: connected, failedAttempts: Int(failures))
            }
            return result
        } catch {
            throw DatabaseError(error, while: "reading the producers' status events")
        }
    }

    private func sinkProgress(_ connection: PostgresConnection) async throws(DatabaseError) -> (Int64?, Int) {
        do {
            let rows = try await connection.query(
                "SELECT (extract(epoch FROM max(last_commit_at)) * 1000000)::bigint, count(*) FROM sink_progress", logger: logger)
            for try await (last, count) in rows.decode((Int64?, Int64).self) { return (last, Int(count)) }
            return (nil, 0)
        } catch {
            throw DatabaseError(error, while: "reading the sink's progress")
        }
    }

    private func windows(_ connection: PostgresConnection, now: Int64) async throws(DatabaseError) -> [PostgresMeasurements.WindowRow] {
        let previous = Double(HealthWindow.windowStart(of: now) - HealthWindow.windowLength) / 1e6
        do {
            let rows = try await connection.query("""
                SELECT (extract(epoch FROM window_start) * 1000000)::bigint, open, open_delay_ms, current, ticks,
                       final, complete, max_gap_ms
                FROM windows_15m
                WHERE source = \(configuration.windowSource.rawValue) AND instrument = \(configuration.windowInstrument.description)
                  AND window_start >= to_timestamp(\(previous))
                ORDER BY window_start
                """, logger: logger)
            var result: [PostgresMeasurements.WindowRow] = []
            for try await (start, open, delay, current, ticks, final, complete, gap)
                in rows.decode((Int64, Double, Int64, Double?, Int64, Bool, Bool, Int64).self) {
                result.append(.init(windowStart: start, open: open, openDelayMillis: delay, current: current, ticks: ticks,
                                    final: final, complete: complete, maxGapMillis: gap))
            }
            return result
        } catch {
            throw DatabaseError(error, while: "reading the \(configuration.windowSource) windows")
        }
    }
}

/// The fill window of one evaluation: `[end − window, end)` with `end` the current second minus the settle
/// time, whole seconds.
struct HealthWindow {
    static let windowLength: Int64 = 900_000_000

    let start: Int64
    let end: Int64

    init(now: Int64, configuration: HealthConfiguration) {
        end = (now / 1_000_000 - Int64(configuration.settleSeconds)) * 1_000_000
        start = end - Int64(configuration.windowSeconds) * 1_000_000
    }

    static func windowStart(of time: Int64) -> Int64 { time - time % windowLength }
}
