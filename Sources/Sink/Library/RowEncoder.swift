import Foundation
import TickbusMarket

/// Why a record cannot become a row. It goes to `dlq.sink` with this reason; its partition moves on.
struct RowRejection: Error, Sendable, Equatable, CustomStringConvertible {
    let reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}

/// What the batch needs to know about an encoded row besides its bytes.
struct RowInfo: Equatable {
    /// Value of the table's time column, µs since the epoch (picks the daily partition).
    var time: Int64
    /// Windows only: the natural key and the rank of this version (final first, then the latest `as_of`).
    var windowKey: String? = nil
    var rank: Int64 = 0
}

/// Turns one JSON record into one COPY text row of its table, validating every column on the way: a record
/// that would make Postgres refuse the whole COPY is rejected here, with a reason naming the field.
enum RowEncoder {
    /// Event times accepted: 2000-01-01 ... 2200-01-01 (anything else is a unit mistake or garbage).
    static let earliestTime: Int64 = 946_684_800_000_000
    static let latestTime: Int64 = 7_258_118_400_000_000

    static func encode(
        _ value: [UInt8], table: SinkTable, into writer: inout CopyTextWriter
    ) throws(RowRejection) -> RowInfo {
        let document: JSONDocument
        do { document = try JSONDocument(parsing: value) } catch { throw RowRejection("\(error)") }
        let root = document.root
        guard root.kind == .object else { throw RowRejection("not a JSON object") }
        if let version = root["v"], version.int64 != 1 {
            throw RowRejection("unsupported schema version \(version.rawBytes.map { String(decoding: $0, as: UTF8.self) } ?? "?")")
        }
        // Swapped, not copied: the batch's buffer must stay uniquely referenced (no copy per row).
        var fields = FieldWriter(root: root, writer: CopyTextWriter(capacity: 0))
        swap(&fields.writer, &writer)
        defer { swap(&fields.writer, &writer) }
        let start = fields.writer.count
        do throws(RowRejection) {
            let info: RowInfo
            switch table {
            case .ticks: info = try fields.tick()
            case .snapshots: info = try fields.snapshot()
            case .windows: info = try fields.window()
            case .spreads: info = try fields.spread()
            case .venueEvents: info = try fields.venueEvent()
            case .deadLetters: throw RowRejection("dead letters are encoded with their Kafka coordinates")
            }
            fields.writer.endRow()
            return info
        } catch {
            fields.writer.bytes.removeSubrange(start...)
            throw error
        }
    }

    /// A dead letter never fails: a record that is not the expected JSON is kept whole with the reason.
    static func encodeDeadLetter(
        _ value: [UInt8], topic: String, partition: Int32, offset: Int64, kafkaTimestampMillis: Int64?,
        into writer: inout CopyTextWriter
    ) -> RowInfo {
        let fallbackTime = (kafkaTimestampMillis.map { $0 * 1000 } ?? WallClock.microseconds())
        let root = (try? JSONDocument(parsing: value))?.root
        let time = [root?["ts_recv"]?.int64, root?["ts"]?.int64, fallbackTime]
            .compactMap { $0 }.first { (earliestTime..<latestTime).contains($0) } ?? WallClock.microseconds()
        var row = FieldWriter(root: root, writer: CopyTextWriter(capacity: 0))
        swap(&row.writer, &writer)
        defer { swap(&row.writer, &writer) }
        row.writer.timestamp(micros: time)
        row.next(); row.writer.text(Array(topic.utf8))
        row.next(); row.writer.integer(Int64(partition))
        row.next(); row.writer.integer(offset)
        row.next(); row.optionalText("source")
        row.next(); row.optionalText("producer")
        row.next()
        if let reason = root?["reason"]?.string, !reason.contains("\u{0}") {
            row.writer.text(Array(reason.utf8))
        } else {
            row.writer.raw("unreadable dead letter (kept whole)")
        }
        row.next(); row.optionalText("opcode")
        row.next(); row.optionalText("topic")
        row.next()
        if let partition = root?["partition"]?.int64, Int32(exactly: partition) != nil { row.writer.integer(partition) } else { row.writer.null() }
        row.next()
        if let offset = root?["offset"]?.int64 { row.writer.integer(offset) } else { row.writer.null() }
        row.next()
        if let encoded = root?["raw_b64"]?.string, let payload = Data(base64Encoded: encoded) {
            row.writer.bytea(payload)
        } else {
            row.writer.bytea(value)
        }
        row.writer.endRow()
        return RowInfo(time: time)
    }
}

/// Writes the columns of one row from a JSON object, in order, separated by tabs.
private struct FieldWriter {
    let root: JSONValue?
    var writer: CopyTextWriter

    mutating func next() { writer.separator() }

    private func value(_ key: StaticString) -> JSONValue? {
        guard let found = root?[key], !found.isNull else { return nil }
        return found
    }

    // MARK: Tables

    mutating func tick() throws(RowRejection) -> RowInfo {
        let received = try micros("ts_recv", required: true)!
        let venue = try micros("ts_venue", required: false)
        let time = venue ?? received
        writer.timestamp(micros: time)
        next(); try text("source")
        next(); try text("instrument")
        next(); try text("venue_symbol")
        next(); try text("kind")
        for key: StaticString in ["bid", "bid_size", "ask", "ask_size", "last"] {
            next(); try decimal(key)
        }
        next(); try exactDecimal()
        next(); if let venue { writer.timestamp(micros: venue) } else { writer.null() }
        next(); writer.timestamp(micros: received)
        next(); try integer("conn", bits32: true)
        next(); try integer("seq")
        next(); try text("producer")
        return RowInfo(time: time)
    }

    mutating func snapshot() throws(RowRejection) -> RowInfo {
        let second = try timestamp("second")
        next(); try text("source")
        next(); try text("instrument")
        next(); try double("price", required: true)
        next(); try double("bid")
        next(); try double("ask")
        next(); try boolean("fresh")
        next(); try integer("ticks", bits32: true)
        for key: StaticString in ["open", "high", "low", "close"] {
            next(); try double(key)
        }
        next(); try integer("age_ms")
        next(); try double("price_usd")
        next(); try double("fx")
        next(); try boolean("fx_assumed")
        return RowInfo(time: second)
    }

    mutating func window() throws(RowRejection) -> RowInfo {
        let start = try timestamp("window_start")
        next(); let source = try text("source")
        next(); let instrument = try text("instrument")
        next(); try double("open", required: true)
        next(); _ = try timestamp("open_ts")
        next(); try integer("open_delay_ms")
        next(); try double("current")
        next(); try optionalTimestamp("current_ts")
        next(); try double("high")
        next(); try double("low")
        next(); try integer("ticks")
        next(); try double("change")
        next(); try double("change_bps")
        next(); try optionalText("side", allowed: ["up", "down"])
        next(); try integer("seconds_left", bits32: true)
        next(); try double("resolution_price")
        next(); try optionalTimestamp("resolution_ts")
        next(); try optionalText("resolved_side", allowed: ["up", "down"])
        next(); let isFinal = try boolean("final")
        next(); try boolean("complete")
        next(); try integer("max_gap_ms")
        next(); let asOf = try timestamp("as_of")
        return RowInfo(
            time: start, windowKey: "\(source)|\(instrument)|\(start)", rank: asOf + (isFinal ? 1 << 60 : 0))
    }

    mutating func spread() throws(RowRejection) -> RowInfo {
        let second = try timestamp("second")
        for key: StaticString in ["base", "a", "b", "a_instrument", "b_instrument"] {
            next(); try text(key)
        }
        for key: StaticString in ["a_price_usd", "b_price_usd", "diff_usd", "bps"] {
            next(); try double(key, required: true)
        }
        next(); try double("diff")
        next(); try integer("a_age_ms")
        next(); try integer("b_age_ms")
        next(); try boolean("fx_assumed")
        return RowInfo(time: second)
    }

    mutating func venueEvent() throws(RowRejection) -> RowInfo {
        let time = try timestamp("ts")
        next(); try text("source")
        next(); try text("producer")
        next(); try integer("conn", bits32: true)
        next(); try text("event")
        next(); try text("detail", allowEmpty: true)
        next(); try integer("last_seq")
        return RowInfo(time: time)
    }

    // MARK: Columns

    /// A required, non-empty text column; returns it for keys.
    @discardableResult
    mutating func text(_ key: StaticString, allowEmpty: Bool = false) throws(RowRejection) -> String {
        guard let field = value(key) else { throw RowRejection("field '\(key)' is missing") }
        guard let text = field.string else { throw RowRejection("field '\(key)' is not a string") }
        guard allowEmpty || !text.isEmpty else { throw RowRejection("field '\(key)' is empty") }
        guard !text.utf8.contains(0) else { throw RowRejection("field '\(key)' contains a NUL character") }
        if let raw = field.rawBytes, !raw.allSatisfy({ $0 < 0x80 }), String(validating: raw, as: UTF8.self) == nil {
            throw RowRejection("field '\(key)' is not valid UTF-8")
        }
        writer.text(text.utf8)
        return text
    }

    mutating func optionalText(_ key: StaticString) {
        if let text = value(key)?.string, !text.utf8.contains(0) { writer.text(text.utf8) } else { writer.null() }
    }

    mutating func optionalText(_ key: StaticString, allowed: [String]) throws(RowRejection) {
        guard let field = value(key) else { return writer.null() }
        guard let text = field.string, allowed.contains(text) else {
            throw RowRejection("field '\(key)' must be one of \(allowed.joined(separator: ", ")) or null")
        }
        writer.text(text.utf8)
    }

    /// A venue decimal (JSON number or a string holding one), copied as sent; `null` when absent.
    mutating func decimal(_ key: StaticString) throws(RowRejection) {
        guard let field = value(key) else { return writer.null() }
        guard let raw = field.rawBytes, !raw.isEmpty,
              raw.withUnsafeBufferPointer({ DecimalText.isValid($0) }) else {
            throw RowRejection("field '\(key)' is not a decimal number")
        }
        writer.raw(raw)
    }

    /// `exact`: a decimal as the tick says, except the raw E18 fixed-point integer producers before schema
    /// version 3 wrote (16+ digits, no point): converted as migration 3 converted the stored rows, so ticks still
    /// in Kafka at the upgrade, or from producers not yet upgraded, land the same (docs/tables.md#migrations).
    mutating func exactDecimal() throws(RowRejection) {
        guard let field = value("exact"), let raw = field.rawBytes else { return try decimal("exact") }
        let digits = raw.first == UInt8(ascii: "-") ? raw.count - 1 : raw.count
        if digits >= 16, raw.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }),
           let converted = ExactDecimal.fromE18(String(decoding: raw, as: UTF8.self)) {
            return writer.raw(Array(converted.utf8))
        }
        try decimal("exact")
    }

    /// A JSON number for a `double precision` column.
    mutating func double(_ key: StaticString, required: Bool = false) throws(RowRejection) {
        guard let field = value(key) else {
            if required { throw RowRejection("field '\(key)' is missing") }
            return writer.null()
        }
        guard field.kind == .number, let raw = field.rawBytes,
              raw.withUnsafeBufferPointer({ DecimalText.isValid($0) }) else {
            throw RowRejection("field '\(key)' is not a number")
        }
        guard raw.withUnsafeBufferPointer({ DecimalText.double(parsing: $0) }).isFinite else {
            throw RowRejection("field '\(key)' is out of the double range")
        }
        writer.raw(raw)
    }

    mutating func integer(_ key: StaticString, bits32: Bool = false) throws(RowRejection) {
        guard let field = value(key), field.kind == .number, let number = field.int64 else {
            throw RowRejection("field '\(key)' is missing or not an integer")
        }
        if bits32 && Int32(exactly: number) == nil { throw RowRejection("field '\(key)' is out of range") }
        writer.integer(number)
    }

    @discardableResult
    mutating func boolean(_ key: StaticString) throws(RowRejection) -> Bool {
        guard let flag = value(key)?.bool else { throw RowRejection("field '\(key)' is missing or not a boolean") }
        writer.raw(flag ? "t" : "f")
        return flag
    }

    /// A required µs timestamp column; returns its value.
    mutating func timestamp(_ key: StaticString) throws(RowRejection) -> Int64 {
        let time = try micros(key, required: true)!
        writer.timestamp(micros: time)
        return time
    }

    mutating func optionalTimestamp(_ key: StaticString) throws(RowRejection) {
        if let time = try micros(key, required: false) { writer.timestamp(micros: time) } else { writer.null() }
    }

    /// Reads (does not write) a µs timestamp.
    func micros(_ key: StaticString, required: Bool) throws(RowRejection) -> Int64? {
        guard let field = value(key) else {
            if required { throw RowRejection("field '\(key)' is missing") }
            return nil
        }
        guard field.kind == .number, let time = field.int64 else { throw RowRejection("field '\(key)' is not an integer") }
        guard (RowEncoder.earliestTime..<RowEncoder.latestTime).contains(time) else {
            throw RowRejection("field '\(key)' (\(time) µs) is outside 2000-2200")
        }
        return time
    }
}
