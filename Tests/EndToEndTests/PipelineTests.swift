import Foundation
import Logging
import PostgresNIO
import Testing
import TickbusKafka
import TickbusMarket
import TickbusPostgres
import TickbusTestSupport

/// The whole path as a user starts it (`scripts/run start --demo`, debug executables): venue-sim → producers
/// → broker → aggregator → sink → Postgres → health, then an exact accounting of what arrived.
@Suite("end to end", .serialized)
struct PipelineTests {
    let suffix = UUID().uuidString.prefix(8).lowercased()
    var prefix: String { "e2e-\(suffix)." }
    var database: String { "tickbus_e2e_\(suffix)" }
    let runDirectory = NSTemporaryDirectory() + "tickbus-e2e-" + UUID().uuidString

    func script(_ arguments: [String], environment: [String: String], deadline: Double = 120) throws -> (status: Int32, output: String) {
        try runExecutable(repositoryRoot + "/scripts/run", arguments, environment: environment, deadline: deadline)
    }

    /// Silences venue-sim's PolyBolt until `/health` fails `lag chainlink_twap BTC-USD` naming PolyBolt and the
    /// producer's own cause, then resumes it (the carry-forward keeps its snapshots meanwhile).
    func silentRelayFailsHealthByName(healthPort: Int, simulatorPort: Int) async throws {
        func control(_ fault: String) throws {
            let answer = try runExecutable("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                            "http://127.0.0.1:\(simulatorPort)/control/polybolt/\(fault)"])
            #expect(answer.output == "200", "\(fault)")
        }
        try control("silent")
        let silenced = ContinuousClock.now
        var detail = ""
        let failed = try await eventually(within: .seconds(75)) {
            guard let body = try? curl("http://127.0.0.1:\(healthPort)/health").body,
                  let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                  let checks = object["checks"] as? [[String: Any]],
                  let lag = checks.first(where: { $0["name"] as? String == "lag chainlink_twap BTC-USD" }) else { return false }
            detail = lag["detail"] as? String ?? ""
            return lag["status"] as? String == "FAIL" && object["overall"] as? String == "FAIL"
        }
        try control("resume")
        #expect(failed, "health never failed the silent relay: \(detail)")
        #expect(ContinuousClock.now - silenced < .seconds(60), "failed \(ContinuousClock.now - silenced) after the silence")
        #expect(detail.contains("polybolt: subscribed, no live data for"), "\(detail)")
        #expect(detail.contains("relay polybolt"), "\(detail)")
        let back = try await eventually(within: .seconds(60)) { (try? curl("http://127.0.0.1:\(healthPort)/health").status) == 200 }
        #expect(back, "health did not pass again once the relay resumed")
    }

    @Test func simulatedVenuesReachPostgresExactlyOnceAndHealthPasses() async throws {
        let healthPort = freePort(), simulatorPort = freePort()
        let environment = [
            "TICKBUS_RUN_BIN": repositoryRoot + "/.build/debug", "TICKBUS_PIPELINE_DIR": runDirectory,
            "TICKBUS_RUN_FIXED_PORTS": "0", "TICKBUS_HEALTH_PORT": String(healthPort), "TICKBUS_SIM_PORT": String(simulatorPort),
            "TICKBUS_TOPIC_PREFIX": prefix, "TICKBUS_PG_DATABASE": database,
            "TICKBUS_AGGREGATOR_GROUP": "e2e-aggregator-\(suffix)", "TICKBUS_SINK_GROUP": "e2e-sink-\(suffix)",
            "TICKBUS_HEALTH_INTERVAL_SECONDS": "2",
        ]
        let postgres = devPostgres(database: database)
        defer {
            _ = try? script(["stop"], environment: environment)
            try? FileManager.default.removeItem(atPath: runDirectory)
        }
        let started = ContinuousClock.now
        let start = try script(["start", "--demo"], environment: environment)
        try #require(start.status == 0, "scripts/run start failed: \(start.output)")
        let sources = try runExecutable(repositoryRoot + "/.build/debug/producer", ["sources"]).output
            .split(separator: "\n").map(String.init)
        #expect(sources.count >= 4)

        // Health PASS within a minute of the start.
        let passed = try await eventually(within: .seconds(90)) { (try? curl("http://127.0.0.1:\(healthPort)/health").status) == 200 }
        let untilPass = ContinuousClock.now - started
        #expect(passed, "health never passed: \((try? curl("http://127.0.0.1:\(healthPort)/health").body) ?? "")")
        #expect(untilPass < .seconds(60), "health took \(untilPass) to pass")
        let check = try runExecutable(repositoryRoot + "/.build/debug/health", ["check"],
                                      environment: environment.merging(devServicesEnvironment()) { _, services in services }
                                          .merging(["TICKBUS_HEALTH_SOURCES": sources.joined(separator: ",")]) { _, new in new })
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("OVERALL: PASS"))
        // One frame Binance's producer cannot decode (→ dlq.producer) and one record the sink cannot store
        // (→ dlq.sink); both end in the dead_letters table.
        let injected = try runExecutable("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                                                          "http://127.0.0.1:\(simulatorPort)/control/binance/malformed"])
        #expect(injected.output == "200")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: testClient()), logger: quietLogger)
        _ = try await producer.sendAndWait(KafkaProducerMessage(topic: prefix + "snapshots.1s", key: "BTC", value: #"{"v":1,"type":"snapshot","source":"nowhere"}"#))
        await producer.shutdown()
        // At least 50 s of data in all.
        let running = ContinuousClock.now - started
        if running < .seconds(50) { try await Task.sleep(for: .seconds(50) - running) }

        // Every Grafana panel's SQL and every dashboard variable's query returns rows, while data flows.
        try await checkDashboardQueries(postgres)

        // The relay of the series the markets resolve on goes silent (subscribed, nothing live): health fails
        // it within its 30 s lag limit and names the relay and the cause; then it comes back.
        try await silentRelayFailsHealthByName(healthPort: healthPort, simulatorPort: simulatorPort)

        // Producers stop; everything they published drains into Postgres.
        let stopped = try script(["stop", "producers"], environment: environment)
        #expect(stopped.status == 0, "\(stopped.output)")
        let published = try await readTicks(sources: sources)
        try validateTopicsAgainstTheirSchemas(sources: sources)
        #expect(published.count > 500 * sources.count / 7, "only \(published.count) ticks published")
        let drained = try await eventually(within: .seconds(60)) {
            try await count("SELECT count(*) FROM ticks", postgres) >= published.count
        }
        #expect(drained)
        _ = try script(["stop"], environment: environment)

        // Every published tick is stored exactly once, and per producer the sequence has no gap.
        let stored = try await rows("SELECT source, producer, seq::text FROM ticks", postgres)
        let storedKeys = stored.map { "\($0[0]!)|\($0[1]!)|\($0[2]!)" }
        #expect(storedKeys.count == Set(storedKeys).count, "duplicates in ticks")
        #expect(Set(storedKeys) == Set(published.map { "\($0.source)|\($0.producer)|\($0.seq)" }))
        let gaps = try await rows("""
            SELECT producer FROM ticks GROUP BY producer HAVING count(*) <> max(seq) - min(seq) + 1
            """, postgres)
        #expect(gaps.isEmpty, "sequence gaps: \(gaps)")
        let perSource = try await rows("SELECT source, count(*)::text FROM ticks GROUP BY source ORDER BY source", postgres)
        #expect(perSource.map { $0[0]! } == sources.sorted())

        // Every second both ends of the run share has a snapshot of every market of every source.
        let bounds = try await rows("""
            SELECT extract(epoch FROM max(first))::bigint::text, extract(epoch FROM min(last))::bigint::text
            FROM (SELECT source, instrument, min(second) AS first, max(second) AS last FROM snapshots_1s GROUP BY 1, 2) s
            """, postgres)
        let first = Int(bounds[0][0] ?? "") ?? 0, last = Int(bounds[0][1] ?? "") ?? 0
        #expect(last - first >= 30, "only \(last - first) s shared by every source")
        let holes = try await rows("""
            SELECT s.source, s.instrument, count(p.second)::text FROM (SELECT DISTINCT source, instrument FROM snapshots_1s) s
            LEFT JOIN snapshots_1s p ON p.source = s.source AND p.instrument = s.instrument
                 AND p.second BETWEEN to_timestamp(\(first)) AND to_timestamp(\(last))
            GROUP BY s.source, s.instrument HAVING count(p.second) <> \(last - first + 1)
            """, postgres)
        #expect(holes.isEmpty, "seconds without a snapshot: \(holes)")

        // Windows agree with the ticks of their window; spreads with the snapshots of their second.
        let windows = try await count("SELECT count(DISTINCT source) FROM windows_15m", postgres)
        #expect(windows == sources.count)
        let inconsistentWindows = try await rows("""
            SELECT w.source, w.window_start::text FROM windows_15m w
            JOIN LATERAL (
                SELECT min(coalesce((t.bid + t.ask) / 2, t.last)) AS low, max(coalesce((t.bid + t.ask) / 2, t.last)) AS high
                FROM ticks t WHERE t.source = w.source AND t.instrument = w.instrument
                  AND t.ts >= w.window_start AND t.ts < w.window_start + interval '15 minutes') t ON true
            WHERE w.open < t.low::float8 - 1e-6 OR w.open > t.high::float8 + 1e-6
               OR w.high > t.high::float8 + 1e-6 OR w.low < t.low::float8 - 1e-6
               OR w.current > w.high + 1e-9 OR w.current < w.low - 1e-9
            """, postgres)
        #expect(inconsistentWindows.isEmpty, "windows outside their ticks' range: \(inconsistentWindows)")
        let pairs = try await count("SELECT count(DISTINCT (a, b)) FROM spreads_1s", postgres)
        let liveFeeds = try await count("SELECT count(DISTINCT source) FROM snapshots_1s WHERE instrument LIKE 'BTC-%'", postgres)
        #expect(pairs == liveFeeds * (liveFeeds - 1) / 2)
        let badSpreads = try await count("""
            SELECT count(*) FROM spreads_1s d
            JOIN snapshots_1s a ON a.source = d.a AND a.instrument = d.a_instrument AND a.second = d.second
            JOIN snapshots_1s b ON b.source = d.b AND b.instrument = d.b_instrument AND b.second = d.second
            WHERE abs(d.a_price_usd - a.price_usd) > 1e-9 OR abs(d.b_price_usd - b.price_usd) > 1e-9
               OR abs(d.diff_usd - (d.a_price_usd - d.b_price_usd)) > 1e-9
            """, postgres)
        let spreads = try await count("SELECT count(*) FROM spreads_1s", postgres)
        #expect(spreads > 0 && badSpreads == 0, "\(badSpreads) of \(spreads) spreads disagree with their snapshots")

        let deadLetters = try await rows("SELECT topic FROM dead_letters ORDER BY topic", postgres).map { $0[0] ?? "" }
        #expect(deadLetters == [prefix + "dlq.producer", prefix + "dlq.sink"], "\(deadLetters)")

        let admin = try await devPostgres().connect(logger: quietLogger)
        try? await admin.execute(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"), logger: quietLogger, doing: "drop")
        try? await admin.close()
    }

    struct PublishedTick: Hashable {
        var source: String
        var producer: String
        var seq: Int64
    }

    /// Every record of the sources' tick topics (read without a group until quiet), decoded with the tick codec.
    func readTicks(sources: [String]) async throws -> [PublishedTick] {
        let admin = try KafkaAdmin(configuration: testClient(), logger: quietLogger)
        var ticks: [PublishedTick] = []
        for source in sources {
            let topic = prefix + "ticks." + source
            let partitions = try await admin.describeTopic(topic).partitions.count
            for message in try await readAll(topic, partitions: Int32(partitions)) {
                let tick = try TickCodec.decode(message.value)
                ticks.append(PublishedTick(source: tick.source.rawValue, producer: tick.producer, seq: Int64(tick.sequence)))
            }
        }
        await admin.close()
        return ticks
    }

    /// Every record of every topic family (up to 2 000 each) against its JSON Schema in docs/schemas.
    func validateTopicsAgainstTheirSchemas(sources: [String]) throws {
        let families: [(schema: String, topics: [String])] = [
            ("tick", sources.map { "ticks." + $0 }), ("status", ["events.status"]), ("producer-dead-letter", ["dlq.producer"]),
            ("sink-dead-letter", ["dlq.sink"]), ("snapshot", ["snapshots.1s"]), ("window", ["windows.15m"]), ("spread", ["spreads.1s"]),
        ]
        for family in families {
            let file = runDirectory + "/\(family.schema).jsonl"
            var lines = ""
            for topic in family.topics {
                let records = try runExecutable("/usr/bin/env", ["kcat", "-b", brokers, "-C", "-t", prefix + topic, "-c", "2000", "-e", "-q"])
                // Less the record injected to be refused by the sink.
                lines += records.output.split(separator: "\n").filter { !$0.contains(#""source":"nowhere""#) }.joined(separator: "\n") + "\n"
            }
            try lines.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try runExecutable(repositoryRoot + "/scripts/validate-records", [repositoryRoot + "/docs/schemas/\(family.schema).schema.json", file])
            #expect(result.status == 0, "\(family.schema): \(result.output)")
        }
    }

    /// Runs each SQL panel and variable query of deploy/grafana/dashboards with Grafana's macros and the
    /// variables substituted; each must return rows, time series with a `time` column first. An empty answer
    /// is retried once a few seconds later (a 15-minute boundary may have just passed).
    func checkDashboardQueries(_ postgres: PostgresSettings) async throws {
        let directory = repositoryRoot + "/deploy/grafana/dashboards"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == ["chainlink-window.json", "health.json", "prices.json", "spread.json"])
        let variables = ["$instrument": "BTC-USD", "$a": "binance", "$b": "coinbase"]
        var checked = 0
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
            let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let templating = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            var queries: [(name: String, sql: String, timeSeries: Bool)] = templating.compactMap { variable in
                (variable["query"] as? String).map { ("\(file) variable \(variable["name"] ?? "")", $0, false) }
            }
            for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    guard let sql = target["rawSql"] as? String else { continue }  // Prometheus panels
                    queries.append(("\(file) panel '\(panel["title"] ?? "")'", sql, target["format"] as? String == "time_series"))
                }
            }
            for query in queries {
                var sql = query.sql
                    .replacingOccurrences(of: "$__timeFrom()", with: "(now() - interval '1 day')")
                    .replacingOccurrences(of: "$__timeTo()", with: "now()")
                sql = sql.replacingOccurrences(of: #"\$__timeFilter\(([a-z_]+)\)"#, with: "$1 BETWEEN now() - interval '1 day' AND now()",
                                               options: .regularExpression)
                for (name, value) in variables { sql = sql.replacingOccurrences(of: name, with: value) }
                #expect(!sql.contains("$"), "\(query.name): unsubstituted macro in \(sql)")
                var answer = try await columnsAndRows(sql, postgres)
                if answer.rows == 0 {
                    try await Task.sleep(for: .seconds(6))
                    answer = try await columnsAndRows(sql, postgres)
                }
                #expect(answer.rows > 0, "\(query.name) returned no rows: \(sql)")
                if query.timeSeries { #expect(answer.columns.first == "time", "\(query.name): columns \(answer.columns)") }
                checked += 1
            }
        }
        #expect(checked >= 15)
    }

    func columnsAndRows(_ sql: String, _ settings: PostgresSettings) async throws -> (columns: [String], rows: Int) {
        let connection = try await settings.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        var columns: [String] = [], count = 0
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: quietLogger) {
            if columns.isEmpty { columns = row.map(\.columnName) }
            count += 1
        }
        return (columns, count)
    }

    func devServicesEnvironment() -> [String: String] {
        let settings = devPostgres()
        return ["TICKBUS_PG_HOST": settings.host, "TICKBUS_PG_PORT": String(settings.port), "TICKBUS_PG_USER": settings.user,
                "TICKBUS_PG_PASSWORD": settings.password ?? "", "TICKBUS_PG_SSLMODE": "disable", "TICKBUS_KAFKA_BROKERS": brokers]
    }
}
