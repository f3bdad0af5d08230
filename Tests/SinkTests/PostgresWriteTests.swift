import TickbusTestSupport
import Foundation
import PostgresNIO
@testable import Sink
import Testing
import TickbusKafka
import TickbusMarket
import TickbusPostgres

@Suite("Postgres: migrations, writes, retention, views")
struct PostgresWriteTests {
    let topics = TopicNames()

    private func batch(_ records: [(String, String)]) -> SinkBatch {
        var batch = SinkBatch()
        let now = WallClock.microseconds()
        for (offset, (topic, json)) in records.enumerated() {
            batch.add(message(topic, json, offset: Int64(offset)), limits: SinkBatch.Limits(), now: now)
        }
        return batch
    }

    @Test func concurrentMigrationsApplyEachVersionOnce() async throws {
        try await withScratchDatabase(migrated: false) { settings in
            async let first = migrateOnce(settings)
            async let second = migrateOnce(settings)
            let applied = try await [first, second]
            #expect(applied.flatMap { $0 }.sorted() == SinkSchema.migrations.map(\.version))
            #expect(try await count("SELECT count(*) FROM schema_migrations", settings) == SinkSchema.migrations.count)
            #expect(try await migrateOnce(settings) == [])
            #expect(try await rows("""
                SELECT relname::text FROM pg_class WHERE relkind = 'p' ORDER BY relname
                """, settings).map { $0[0] } == ["dead_letters", "snapshots_1s", "spreads_1s", "ticks", "venue_events", "windows_15m"])
        }
    }

    @Test func migrationThreeTurnsStoredE18IntegersIntoDecimalsAndAddsTheTWAPViews() async throws {
        try await withScratchDatabase(migrated: false) { settings in
            // A database as version 2 left it, with RTDS ticks holding the raw E18 integer.
            let connection = try await settings.connect(logger: quietLogger)
            try await connection.execute(PostgresQuery(unsafeSQL: "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"), logger: quietLogger, doing: "fixture")
            for migration in SinkSchema.migrations.prefix(2) {
                for statement in SQLStatements.split(migration.sql) {
                    try await connection.execute(PostgresQuery(unsafeSQL: statement), logger: quietLogger, doing: "fixture")
                }
                try await connection.execute(PostgresQuery(unsafeSQL: "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), 'old')"), logger: quietLogger, doing: "fixture")
            }
            try await connection.execute(PostgresQuery(unsafeSQL: "CREATE TABLE ticks_any PARTITION OF ticks DEFAULT"), logger: quietLogger, doing: "fixture")
            try await connection.execute(PostgresQuery(unsafeSQL: """
                INSERT INTO ticks (ts, source, instrument, venue_symbol, kind, last, exact, ts_recv, conn, seq, producer) VALUES
                  (now(), 'chainlink', 'BTC-USD', 'btc/usd', 'oracle', 65245.09165178642, 65245091651786417500000, now(), 1, 1, 'p'),
                  (now(), 'chainlink', 'BTC-USD', 'btc/usd', 'oracle', 65000, 65000000000000000000000, now(), 1, 2, 'p'),
                  (now(), 'binance_rtds', 'BTC-USDT', 'btcusdt', 'oracle', 67234.5, 67234500000000000000000, now(), 1, 3, 'p'),
                  (now(), 'chainlink', 'BTC-USD', 'btc/usd', 'oracle', 65000.5, NULL, now(), 1, 4, 'p'),
                  (now(), 'chainlink_twap', 'BTC-USD', 'btcusd', 'oracle', 64120.7, 64120.70000000, now(), 1, 5, 'p'),
                  (now(), 'binance', 'BTC-USDT', 'btcusdt', 'trade', 67000, NULL, now(), 1, 6, 'p')
                """), logger: quietLogger, doing: "fixture")
            try await connection.close()
            #expect(try await migrateOnce(settings) == [3])
            #expect(try await rows("SELECT seq::text, exact::text FROM ticks ORDER BY seq", settings) == [
                ["1", "65245.0916517864175"], ["2", "65000"], ["3", "67234.5"], [ "4", nil], ["5", "64120.70000000"], ["6", nil],
            ])
            #expect(try await rows("SELECT count(*)::text FROM chainlink_twap_current_window", settings) == [["0"]])
            #expect(try await rows("SELECT count(*)::text FROM chainlink_twap_windows", settings) == [["0"]])
        }
    }

    private func migrateOnce(_ settings: PostgresSettings) async throws -> [Int] {
        let connection = try await settings.connect(logger: quietLogger)
        defer { Task { try? await connection.close() } }
        return try await SchemaMigrator(logger: quietLogger).migrate(connection)
    }

    @Test func everyTableRoundTripsExactlyAndRedeliveryAddsNothing() async throws {
        try await withScratchDatabase { settings in
            let second = secondsAgo(30)
            let start = second / 900_000_000 * 900_000_000
            let records: [(String, String)] = [
                (topics.ticks(.binance), tickJSON(seq: 1, receive: second + 123_456, bid: "\"67000.10\"")),
                (topics.ticks(.binance), tickJSON(seq: 2, receive: second + 223_456, venue: second + 200_001, bid: "67000.5")),
                (topics.snapshots, snapshotJSON(source: "okx", second: second, price: 67001.25)),
                (topics.spreads, spreadJSON(second: second, a: "binance", b: "coinbase", aPrice: 67000.5, bPrice: 67010.25)),
                (topics.windows, windowJSON(start: start, open: 100, current: 101, asOf: second, final: false)),
                (topics.status, #"{"v":1,"source":"okx","producer":"p9","conn":3,"event":"gap_start","detail":"tab\there","ts":\#(second),"last_seq":77}"#),
                (topics.producerDeadLetters, #"{"v":1,"source":"htx","producer":"p9","conn":1,"ts_recv":\#(second),"reason":"bad gzip","opcode":"binary","raw_b64":"AAEC"}"#),
            ]
            let writer = PostgresBatchWriter(settings: settings, instance: "test", logger: quietLogger)
            let first = try await writer.write(batch(records))
            #expect(first.written == [.ticks: 2, .snapshots: 1, .spreads: 1, .windows: 1, .venueEvents: 1, .deadLetters: 1])
            #expect(first.merged == [.windows: 1])
            let again = try await writer.write(batch(records))
            #expect(again.merged == [.ticks: 2, .snapshots: 1, .spreads: 1, .windows: 1, .venueEvents: 1, .deadLetters: 1], "redelivery takes the merge path")
            await writer.close()

            #expect(try await rows("SELECT ts::text, bid::text, bid_size::text, ask::text, ask_size::text, last::text, ts_venue::text, seq::text FROM ticks ORDER BY seq", settings) == [
                [sql(second + 123_456), "67000.10", "1.50", "67000.2", "0.003", nil, nil, "1"],
                [sql(second + 200_001), "67000.5", "1.50", "67000.2", "0.003", nil, sql(second + 200_001), "2"],
            ])
            #expect(try await rows("SELECT second::text, source, price::text, bid::text, fresh::text, ticks::text, price_usd::text, fx_assumed::text FROM snapshots_1s", settings) == [
                [sql(second), "okx", "67001.25", "67001.2", "true", "2", "67001.25", "true"],
            ])
            #expect(try await rows("SELECT a, b, diff_usd::text, diff::text, b_age_ms::text FROM spreads_1s", settings) == [
                ["binance", "coinbase", "-9.75", nil, "200"],
            ])
            #expect(try await rows("SELECT event, detail, last_seq::text FROM venue_events", settings) == [["gap_start", "tab\there", "77"]])
            #expect(try await rows("SELECT topic, source, reason, encode(payload, 'hex') FROM dead_letters", settings) == [
                ["dlq.producer", "htx", "bad gzip", "000102"],
            ])
            #expect(try await rows("SELECT open::text, current::text, side, final::text FROM windows_15m", settings) == [["100", "101", "up", "false"]])
            #expect(try await count("SELECT rows_written FROM sink_progress WHERE instance = 'test'", settings) == 14)
        }
    }

    @Test func windowsKeepTheNewestVersionAndNeverReplaceAFinalOne() async throws {
        try await withScratchDatabase { settings in
            let start = secondsAgo(3600) / 900_000_000 * 900_000_000
            let writer = PostgresBatchWriter(settings: settings, instance: "test", logger: quietLogger)
            func write(_ json: String) async throws { _ = try await writer.write(batch([(topics.windows, json)])) }
            try await write(windowJSON(start: start, open: 100, current: 101, asOf: start + 60_000_000, final: false))
            try await write(windowJSON(start: start, open: 100, current: 99, asOf: start + 30_000_000, final: false))  // older: ignored
            #expect(try await rows("SELECT current::text FROM windows_15m", settings) == [["101"]])
            try await write(windowJSON(start: start, open: 100, current: 98, asOf: start + 900_000_000, final: true, resolution: 98.5))
            try await write(windowJSON(start: start, open: 100, current: 102, asOf: start + 120_000_000, final: false))  // replay after restart
            #expect(try await rows("SELECT current::text, resolution_price::text, resolved_side, final::text FROM windows_15m", settings) == [
                ["98", "98.5", "down", "true"],
            ])
            await writer.close()
        }
    }

    @Test func aRowPostgresRefusesIsIsolatedAndTheRestAreWritten() async throws {
        try await withScratchDatabase { settings in
            let second = secondsAgo(10)
            // 1e140000 is a valid JSON number the encoder passes, but it overflows numeric (22003).
            var records = (1...7).map { (topics.ticks(.okx), tickJSON(source: "okx", seq: $0, receive: second + Int64($0))) }
            records[4] = (topics.ticks(.okx), tickJSON(source: "okx", seq: 5, receive: second + 5, bid: "1e140000"))
            let writer = PostgresBatchWriter(settings: settings, instance: "test", logger: quietLogger)
            let outcome = try await writer.write(batch(records))
            await writer.close()
            #expect(outcome.written[.ticks] == 6)
            #expect(outcome.rejected.map(\.row) == [4])
            #expect(outcome.rejected.first?.reason.contains("[22003]") == true)
            #expect(try await rows("SELECT seq::text FROM ticks ORDER BY seq", settings).map { $0[0] } == ["1", "2", "3", "4", "6", "7"])
        }
    }

    @Test func retentionDropsExactlyTheExpiredPartitions() async throws {
        try await withScratchDatabase { settings in
            let now = WallClock.microseconds()
            let today = PartitionManager.day(of: now), day = PartitionManager.dayMicros
            let connection = try await settings.connect(logger: quietLogger)
            let manager = PartitionManager(logger: quietLogger)
            var old = Set<PartitionManager.Partition>()
            for back in 1...12 {
                old.insert(.init(table: .ticks, day: today - Int64(back) * day))
                old.insert(.init(table: .windows, day: today - Int64(back) * day))
            }
            _ = try await manager.ensure(old, on: connection)
            try await connection.execute(PostgresQuery(unsafeSQL: "INSERT INTO windows_15m (window_start, source, instrument, open, open_ts, open_delay_ms, ticks, seconds_left, final, complete, max_gap_ms, as_of) VALUES (to_timestamp(\((today - 11 * day) / 1_000_000)), 'chainlink', 'BTC-USD', 1, now(), 0, 1, 0, true, true, 0, now())"), logger: quietLogger, doing: "insert")

            // A drop interrupted after its detach leaves a plain table behind: retention still removes it.
            let orphan = PartitionManager.Partition(table: .ticks, day: today - 12 * day)
            try await connection.execute(PostgresQuery(unsafeSQL: "ALTER TABLE ticks DETACH PARTITION \(orphan.name)"), logger: quietLogger, doing: "detach")
            var configuration = SinkService.Configuration()
            configuration.postgres = settings
            configuration.retentionDays[.ticks] = 7
            let dry = try await SinkService.maintainOnce(configuration: configuration, dryRun: true, logger: quietLogger)
            // Ticks keep 7 days: the partition of day D goes once D + 1 day ≤ now − 7 days, i.e. D ≤ today − 8.
            let expected = (8...12).map { PartitionManager.Partition(table: .ticks, day: today - Int64($0) * day) }.sorted()
            #expect(dry.dropped.sorted() == expected)
            #expect(dry.created.isEmpty)
            #expect(try await manager.partitions(of: .ticks, on: connection).count == 11)

            let real = try await SinkService.maintainOnce(configuration: configuration, dryRun: false, logger: quietLogger)
            #expect(real.dropped.sorted() == expected)
            let remaining = try await manager.partitions(of: .ticks, on: connection)
            #expect(remaining.map(\.day) == (-7...configuration.partitionsAhead).map { today + Int64($0) * day })
            #expect(try await manager.partitions(of: .windows, on: connection).count == 12 + 1 + configuration.partitionsAhead)
            #expect(try await count("SELECT count(*) FROM windows_15m", settings) == 1)
            #expect(try await count("SELECT count(*) FROM pg_class WHERE relname IN ('\(expected[0].name)', '\(orphan.name)')", settings) == 0)
            try await connection.close()
        }
    }

    @Test func dashboardViewsReturnHandCheckedValues() async throws {
        try await withScratchDatabase { settings in
            let now = WallClock.microseconds()
            let start = now / 900_000_000 * 900_000_000
            let previous = start - 900_000_000
            var records: [(String, String)] = [
                (topics.windows, windowJSON(start: previous, open: 90_000, current: 90_050, asOf: start, final: true, resolution: 90_060)),
                (topics.windows, windowJSON(start: start, open: 90_060, current: 90_000, asOf: start + 2_000_000, final: false)),
                (topics.spreads, spreadJSON(second: start, a: "binance", b: "coinbase", aPrice: 90_010, bPrice: 90_000)),
                (topics.spreads, spreadJSON(second: start + 1_000_000, a: "binance", b: "coinbase", aPrice: 90_020, bPrice: 90_000)),
            ]
            for offset in 0..<3 {
                records.append((topics.snapshots, snapshotJSON(source: "chainlink", instrument: "BTC-USD", second: start + Int64(offset) * 1_000_000, price: 90_060 + Double(offset) * 10)))
            }
            let writer = PostgresBatchWriter(settings: settings, instance: "test", logger: quietLogger)
            _ = try await writer.write(batch(records))
            await writer.close()

            #expect(try await rows("SELECT open::text, current::text, change::text, side FROM chainlink_current_window", settings) == [["90060", "90000", "-60", "down"]])
            #expect(try await rows("SELECT window_start::text, resolved_side FROM chainlink_windows", settings) == [[sql(start), nil], [sql(previous), "up"]])
            #expect(try await rows("SELECT second::text, price::text, open::text, change::text FROM window_chart('chainlink', 'BTC-USD', '\(sql(start))')", settings) == [
                [sql(start), "90060", "90060", "0"], [sql(start + 1_000_000), "90070", "90060", "10"], [sql(start + 2_000_000), "90080", "90060", "20"],
            ])
            let range = "'\(sql(start))', '\(sql(start + 2_000_000))'"
            #expect(try await rows("SELECT x, y, diff_usd::text FROM spread_between('coinbase', 'binance', \(range))", settings) == [
                ["coinbase", "binance", "-10"], ["coinbase", "binance", "-20"],
            ])
            #expect(try await rows("SELECT diff_usd::text, round(bps::numeric, 6)::text FROM spread_between('binance', 'coinbase', \(range))", settings) == [
                ["10", "1.111111"], ["20", "2.222222"],
            ])
            #expect(try await rows("SELECT round(bps::numeric, 6)::text FROM spread_between('coinbase', 'binance', \(range))", settings) == [
                ["-1.110988"], ["-2.221729"],
            ])
            #expect(try await count("SELECT count(*) FROM prices_1s WHERE second >= '\(sql(start))'", settings) == 3)
        }
    }
}

/// The text Postgres prints for a timestamptz in a UTC session.
func sql(_ micros: Int64) -> String {
    var writer = CopyTextWriter()
    writer.timestamp(micros: micros)
    var text = String(decoding: writer.bytes.dropLast(3), as: UTF8.self)  // "+00" added back below
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text + "+00"
}
