import TickbusTestSupport
import Foundation
@testable import Sink
import Testing
import TickbusMarket

@Suite("COPY text and row encoding")
struct RowEncoderTests {
    private func timestamp(_ micros: Int64) -> String {
        var writer = CopyTextWriter()
        writer.timestamp(micros: micros)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func timestampsAreUTCWithMicroseconds() {
        #expect(timestamp(0) == "1970-01-01 00:00:00.000000+00")
        #expect(timestamp(-1) == "1969-12-31 23:59:59.999999+00")
        #expect(timestamp(1_795_506_037_296_722) == "2026-11-24 07:40:37.296722+00")
        #expect(timestamp(1_709_164_800_000_001) == "2024-02-29 00:00:00.000001+00")
        #expect(timestamp(946_684_799_999_999) == "1999-12-31 23:59:59.999999+00")
    }

    @Test func civilDatesRoundTripOverCenturies() {
        for days in stride(from: Int64(-800_000), through: 800_000, by: 97) {
            let (year, month, day) = CivilCalendar.date(fromDays: days)
            #expect(CivilCalendar.days(year: year, month: month, day: day) == days)
        }
    }

    @Test func textIsEscapedForCopy() {
        var writer = CopyTextWriter()
        writer.text(Array("a\tb\\c\nd\re".utf8))
        writer.separator()
        writer.null()
        writer.separator()
        writer.integer(-9_223_372_036_854_775_807)
        writer.separator()
        writer.bytea([0x00, 0xAB, 0x5C])
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"a\tb\\c\nd\re"# + "\t\\N\t-9223372036854775807\t" + #"\\x00ab5c"#)
    }

    @Test func tickRowKeepsTheVenueDecimalsAndPicksTheEventTime() throws {
        var writer = CopyTextWriter()
        let info = try RowEncoder.encode(
            Array(tickJSON(seq: 7, receive: 1_795_506_037_296_722, venue: 1_795_506_037_000_000, bid: "\"67000.10\"").utf8),
            table: .ticks, into: &writer)
        #expect(info.time == 1_795_506_037_000_000)
        let expected = [
            "2026-11-24 07:40:37.000000+00", "binance", "BTC-USDT", "BTCUSDT", "quote", "67000.10", "1.50", "67000.2",
            "0.003", "\\N", "\\N", "2026-11-24 07:40:37.000000+00", "2026-11-24 07:40:37.296722+00", "1", "7", "p-test",
        ].joined(separator: "\t") + "\n"
        #expect(String(decoding: writer.bytes, as: UTF8.self) == expected)
    }

    @Test(arguments: [
        // A producer before schema version 3 wrote RTDS's E18 integer: stored as migration 3 stores it.
        (#""65000500000000000000000""#, "65000.5"), (#""65245091651786417500000""#, "65245.0916517864175"),
        // Decimals as sent, digit for digit; a plain integer price stays one.
        (#""64120.70000000""#, "64120.70000000"), (#""65000""#, "65000"), ("null", "\\N"),
    ])
    func oracleExactIsStoredAsADecimal(exact: String, stored: String) throws {
        let json = #"{"v":1,"source":"chainlink","instrument":"BTC-USD","venue_symbol":"btc/usd","kind":"oracle","bid":null,"bid_size":null,"ask":null,"ask_size":null,"last":65000.5,"exact":\#(exact),"ts_venue":1795506037000000,"ts_recv":1795506037296722,"conn":1,"seq":7,"producer":"p-test"}"#
        var writer = CopyTextWriter()
        _ = try RowEncoder.encode(Array(json.utf8), table: .ticks, into: &writer)
        let columns = String(decoding: writer.bytes, as: UTF8.self).dropLast().split(separator: "\t", omittingEmptySubsequences: false)
        #expect(columns[10] == Substring(stored), "\(columns)")
    }

    @Test func windowRowsCarryKeyAndRank() throws {
        var writer = CopyTextWriter()
        let start: Int64 = 1_795_505_400_000_000
        let live = try RowEncoder.encode(Array(windowJSON(start: start, open: 100, current: 101, asOf: start + 5_000_000, final: false).utf8), table: .windows, into: &writer)
        let final = try RowEncoder.encode(Array(windowJSON(start: start, open: 100, current: 99, asOf: start + 900_000_000, final: true, resolution: 99.5).utf8), table: .windows, into: &writer)
        #expect(live.windowKey == "chainlink|BTC-USD|\(start)")
        #expect(final.windowKey == live.windowKey)
        #expect(final.rank > live.rank)
        let lines = String(decoding: writer.bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[1].split(separator: "\t").count == SinkTable.windows.columns.count)
        #expect(lines[1].contains("\tdown\t"))
    }

    @Test(arguments: [
        (#"{"v":1,"source":"binance"}"#, "field 'ts_recv' is missing"),
        (#"{"v":2}"#, "unsupported schema version 2"),
        ("[1,2]", "not a JSON object"),
        ("{", "invalid JSON"),
    ])
    func malformedTicksAreRejectedWithAReason(json: String, reason: String) {
        var writer = CopyTextWriter()
        #expect(throws: RowRejection.self) { try RowEncoder.encode(Array(json.utf8), table: .ticks, into: &writer) }
        do {
            _ = try RowEncoder.encode(Array(json.utf8), table: .ticks, into: &writer)
        } catch {
            #expect(error.reason.contains(reason))
        }
        #expect(writer.bytes.isEmpty, "a rejected row leaves nothing behind")
    }

    @Test func fieldProblemsNameTheField() {
        let cases: [(String, SinkTable, String)] = [
            (tickJSON(seq: 1, receive: 1_795_506_037_000_000, bid: "\"12,5\""), .ticks, "field 'bid' is not a decimal number"),
            (tickJSON(seq: 1, receive: 17_955_060_370), .ticks, "field 'ts_recv' (17955060370 µs) is outside 2000-2200"),
            (tickJSON(seq: 1, receive: 1_795_506_037_000_000).replacingOccurrences(of: "\"p-test\"", with: "\"p\\u0000\""), .ticks, "field 'producer' contains a NUL character"),
            (snapshotJSON(source: "okx", second: 1_795_506_037_000_000, price: 1).replacingOccurrences(of: "\"fresh\":true", with: "\"fresh\":1"), .snapshots, "field 'fresh' is missing or not a boolean"),
            (snapshotJSON(source: "okx", second: 1_795_506_037_000_000, price: 1).replacingOccurrences(of: "\"ticks\":2", with: "\"ticks\":4294967296"), .snapshots, "field 'ticks' is out of range"),
            (spreadJSON(second: 1_795_506_037_000_000, a: "a", b: "b", aPrice: 1, bPrice: 2).replacingOccurrences(of: "\"bps\":", with: "\"bps\":\"1\",\"x\":"), .spreads, "field 'bps' is not a number"),
        ]
        for (json, table, reason) in cases {
            var writer = CopyTextWriter()
            do {
                _ = try RowEncoder.encode(Array(json.utf8), table: table, into: &writer)
                Issue.record("accepted: \(json)")
            } catch {
                #expect(error.reason == reason)
            }
        }
    }

    @Test func deadLettersKeepTheFrameBytesOrTheWholeRecord() {
        var writer = CopyTextWriter()
        let frame = Data("{\"bad\":".utf8).base64EncodedString()
        let json = #"{"v":1,"source":"htx","producer":"p1","conn":2,"ts_recv":1795506037000000,"reason":"truncated","opcode":"binary","raw_b64":"\#(frame)"}"#
        let info = RowEncoder.encodeDeadLetter(Array(json.utf8), topic: "dlq.producer", partition: 1, offset: 42, kafkaTimestampMillis: nil, into: &writer)
        #expect(info.time == 1_795_506_037_000_000)
        let first = String(decoding: writer.bytes, as: UTF8.self)
        #expect(first == "2026-11-24 07:40:37.000000+00\tdlq.producer\t1\t42\thtx\tp1\ttruncated\tbinary\t\\N\t\\N\t\\N\t\\\\x7b22626164223a\n")
        var garbage = CopyTextWriter()
        _ = RowEncoder.encodeDeadLetter([0xFF, 0x00], topic: "dlq.sink", partition: 0, offset: 3, kafkaTimestampMillis: 1_795_506_037_123, into: &garbage)
        #expect(String(decoding: garbage.bytes, as: UTF8.self) == "2026-11-24 07:40:37.123000+00\tdlq.sink\t0\t3\t\\N\t\\N\tunreadable dead letter (kept whole)\t\\N\t\\N\t\\N\t\\N\t\\\\xff00\n")
    }

    @Test func batchKeepsOnlyTheBestVersionOfAWindowAndRoutesTopics() {
        let topics = TopicNames(prefix: "t.")
        var batch = SinkBatch()
        var limits = SinkBatch.Limits()
        limits.topics = topics
        let now = WallClock.microseconds()
        let start = now / 900_000_000 * 900_000_000
        batch.add(message(topics.windows, windowJSON(start: start, open: 1, current: 2, asOf: start + 2_000_000, final: false), offset: 0), limits: limits, now: now)
        batch.add(message(topics.windows, windowJSON(start: start, open: 1, current: 3, asOf: start + 3_000_000, final: false), offset: 1), limits: limits, now: now)
        batch.add(message(topics.windows, windowJSON(start: start, open: 1, current: 2.5, asOf: start + 1_000_000, final: false), offset: 2), limits: limits, now: now)
        batch.add(message(topics.ticks(.okx), "nope", offset: 0, partition: 3), limits: limits, now: now)
        batch.add(message(topics.snapshots, snapshotJSON(source: "okx", second: now + 10 * 86_400_000_000, price: 1), offset: 9), limits: limits, now: now)
        #expect(batch.tables[.windows]?.liveRows == [1])
        #expect(batch.rows == 3)
        #expect(batch.deadLetters.map(\.offset) == [0, 9])
        #expect(batch.deadLetters[1].reason == "snapshots_1s: second is more than 3 days ahead")
        #expect(batch.nextOffsets == [
            KafkaTopicPartitionKey(topics.windows, 0): 3, KafkaTopicPartitionKey(topics.ticks(.okx), 3): 1,
            KafkaTopicPartitionKey(topics.snapshots, 0): 10,
        ])
        #expect(SinkTable.table(forTopic: "t.ticks.gate", topics: topics) == .ticks)
        #expect(SinkTable.table(forTopic: "t.dlq.sink", topics: topics) == .deadLetters)
        #expect(SinkTable.table(forTopic: "ticks.gate", topics: topics) == nil)
    }

    @Test func statementsSplitOutsideQuotesAndFunctionBodies() {
        let statements = SQLStatements.split(SinkSchema.dashboards)
        #expect(statements.count == 6)
        #expect(statements[4].hasPrefix("CREATE FUNCTION window_chart") && statements[4].hasSuffix("$$"))
        #expect(SQLStatements.split("SELECT ';'; -- a; comment\nSELECT 2;") == ["SELECT ';'", "SELECT 2"])
    }

    @Test func partitionNamesRoundTrip() {
        let partition = PartitionManager.Partition(table: .snapshots, day: 1_795_478_400_000_000)
        #expect(partition.name == "snapshots_1s_p20261124")
        #expect(PartitionManager.Partition.parse(partition.name, table: .snapshots) == partition)
        #expect(PartitionManager.Partition.parse("snapshots_1s_p20261332", table: .snapshots) == nil)
        #expect(PartitionManager.Partition.parse("snapshots_1s_old", table: .snapshots) == nil)
        #expect(PartitionManager.day(of: 1_795_506_037_296_722) == 1_795_478_400_000_000)
    }
}

import TickbusKafka

func KafkaTopicPartitionKey(_ topic: String, _ partition: Int32) -> KafkaTopicPartition {
    KafkaTopicPartition(topic: topic, partition: partition)
}
