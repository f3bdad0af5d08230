public import TickbusMarket

/// What the aggregator needs from a tick, read straight from its JSON bytes (docs/topics.md).
///
/// Going through ``TickCodec`` would build every string of the tick; the aggregator needs three numbers,
/// three integers and two ids, so this scanner reads the object once without allocating. Field order and
/// whitespace are free; unknown fields are skipped; a nested value, a wrong type or a bad number is an error.
public struct ScannedTick: Sendable {
    public var source: SourceID
    /// Byte range of the canonical instrument inside the scanned line.
    public var instrumentRange: Range<Int>
    public var bid: Double?
    public var ask: Double?
    public var last: Double?
    public var venueTime: Int64?
    public var receiveTime: Int64
    public var sequence: Int64

    /// The price rule of §3: mid when both sides are present, else `last`.
    @inline(__always)
    public var price: Double? {
        if let bid, let ask { return (bid + ask) / 2 }
        return last
    }

    @inline(__always)
    public var eventTime: Int64 { venueTime ?? receiveTime }
}

public struct TickScanError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public var description: String { "invalid tick at byte \(offset): \(reason)" }
}

public enum TickScanner {
    private static let sourceNames: [(bytes: [UInt8], id: SourceID)] = SourceID.allCases.map { (Array($0.rawValue.utf8), $0) }

    public static func scan(_ line: UnsafeBufferPointer<UInt8>) throws(TickScanError) -> ScannedTick {
        if let tick = scanCanonical(line) { return tick }
        return try scanAnyOrder(line)
    }

    /// The layout ``TickCodec`` writes (every producer's), checked literal by literal; `nil` on any
    /// difference, and the general scanner decides.
    static func scanCanonical(_ line: UnsafeBufferPointer<UInt8>) -> ScannedTick? {
        var cursor = Cursor(bytes: line)
        guard cursor.expect(#"{"v":1,"source":""#), let sourceRange = cursor.plainString(),
              let source = sourceID(line, sourceRange),
              cursor.expect(#","instrument":""#), let instrument = cursor.plainString(),
              cursor.expect(#","venue_symbol":""#), cursor.plainString() != nil,
              cursor.expect(#","kind":""#), cursor.plainString() != nil,
              cursor.expect(#","bid":"#), let bid = cursor.plainDecimal(),
              cursor.expect(#","bid_size":"#), cursor.skipNumberOrNull(),
              cursor.expect(#","ask":"#), let ask = cursor.plainDecimal(),
              cursor.expect(#","ask_size":"#), cursor.skipNumberOrNull(),
              cursor.expect(#","last":"#), let last = cursor.plainDecimal()
        else { return nil }
        if cursor.expect(#","exact":""#) { guard cursor.plainString() != nil else { return nil } }
        guard cursor.expect(#","ts_venue":"#), let venueTime = cursor.plainInteger(),
              cursor.expect(#","ts_recv":"#), let receiveTime = cursor.plainInteger(), let receiveTime,
              cursor.expect(#","conn":"#), cursor.skipNumberOrNull(),
              cursor.expect(#","seq":"#), let sequence = cursor.plainInteger(), let sequence,
              cursor.expect(#","producer":""#), cursor.plainString() != nil,
              cursor.take(UInt8(ascii: "}"))
        else { return nil }
        cursor.skipSpace()
        guard cursor.atEnd else { return nil }
        return ScannedTick(
            source: source, instrumentRange: instrument, bid: bid, ask: ask, last: last,
            venueTime: venueTime, receiveTime: receiveTime, sequence: sequence)
    }

    static func scanAnyOrder(_ line: UnsafeBufferPointer<UInt8>) throws(TickScanError) -> ScannedTick {
        var cursor = Cursor(bytes: line)
        var version: Int64?
        var source: SourceID?
        var instrument: Range<Int>?
        var bid: Double?, ask: Double?, last: Double?
        var venueTime: Int64?, receiveTime: Int64?, sequence: Int64?

        cursor.skipSpace()
        guard cursor.take(UInt8(ascii: "{")) else { throw cursor.error("expected an object") }
        cursor.skipSpace()
        if !cursor.take(UInt8(ascii: "}")) {
            while true {
                cursor.skipSpace()
                let key = try cursor.string()
                cursor.skipSpace()
                guard cursor.take(UInt8(ascii: ":")) else { throw cursor.error("expected ':'") }
                cursor.skipSpace()
                let value = try cursor.value()
                switch Field(line, key) {
                case .version: version = try cursor.integer(value, nullable: false)
                case .source:
                    guard value.kind == .string, let id = sourceID(line, value.range) else { throw cursor.error("unknown source", at: value.range.lowerBound) }
                    source = id
                case .instrument:
                    guard value.kind == .string else { throw cursor.error("instrument is not a string", at: value.range.lowerBound) }
                    instrument = value.range
                case .bid: bid = try cursor.decimal(value)
                case .ask: ask = try cursor.decimal(value)
                case .last: last = try cursor.decimal(value)
                case .venueTime: venueTime = try cursor.integer(value, nullable: true)
                case .receiveTime: receiveTime = try cursor.integer(value, nullable: false)
                case .sequence: sequence = try cursor.integer(value, nullable: false)
                case .other: break
                }
                cursor.skipSpace()
                if cursor.take(UInt8(ascii: ",")) { continue }
                guard cursor.take(UInt8(ascii: "}")) else { throw cursor.error("expected ',' or '}'") }
                break
            }
        }
        cursor.skipSpace()
        guard cursor.atEnd else { throw cursor.error("text after the object") }
        guard version == 1 else { throw TickScanError(reason: "field 'v' must be 1", offset: 0) }
        guard let source else { throw TickScanError(reason: "missing field 'source'", offset: 0) }
        guard let instrument else { throw TickScanError(reason: "missing field 'instrument'", offset: 0) }
        guard let receiveTime else { throw TickScanError(reason: "missing field 'ts_recv'", offset: 0) }
        return ScannedTick(
            source: source, instrumentRange: instrument, bid: bid, ask: ask, last: last,
            venueTime: venueTime, receiveTime: receiveTime, sequence: sequence ?? 0)
    }

    private static func sourceID(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> SourceID? {
        for (name, id) in sourceNames where name.count == range.count {
            if name.withUnsafeBufferPointer({ memoryEqual($0.baseAddress!, line.baseAddress! + range.lowerBound, range.count) }) { return id }
        }
        return nil
    }

    private enum Field {
        case version, source, instrument, bid, ask, last, venueTime, receiveTime, sequence, other

        init(_ line: UnsafeBufferPointer<UInt8>, _ key: Range<Int>) {
            let start = line.baseAddress! + key.lowerBound
            @inline(__always) func matches(_ name: StaticString) -> Bool {
                name.utf8CodeUnitCount == key.count && memoryEqual(name.utf8Start, start, key.count)
            }
            switch key.count {
            case 1: self = matches("v") ? .version : .other
            case 3: self = matches("bid") ? .bid : matches("ask") ? .ask : matches("seq") ? .sequence : .other
            case 4: self = matches("last") ? .last : .other
            case 6: self = matches("source") ? .source : .other
            case 7: self = matches("ts_recv") ? .receiveTime : .other
            case 8: self = matches("ts_venue") ? .venueTime : .other
            case 10: self = matches("instrument") ? .instrument : .other
            default: self = .other
            }
        }
    }
}

@inline(__always)
private func memoryEqual(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    for index in 0..<count where lhs[index] != rhs[index] { return false }
    return true
}

private struct ScannedValue {
    enum Kind { case string, number, null, boolean }
    var kind: Kind
    var range: Range<Int>
}

private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    var atEnd: Bool { position >= bytes.count }

    func error(_ reason: String, at offset: Int? = nil) -> TickScanError {
        TickScanError(reason: reason, offset: offset ?? position)
    }

    @inline(__always)
    mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    // MARK: Canonical layout (no throwing, no escapes)

    @inline(__always)
    mutating func expect(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count, memoryEqual(literal.utf8Start, bytes.baseAddress! + position, count) else { return false }
        position += count
        return true
    }

    /// Content up to the closing quote (consumed); `nil` if the string has an escape or never ends.
    @inline(__always)
    mutating func plainString() -> Range<Int>? {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            position += 1
        }
        return nil
    }

    /// A number (`.some(value)`) or `null` (`.some(nil)`); `nil` when neither.
    @inline(__always)
    mutating func plainDecimal() -> Double?? {
        if expect("null") { return .some(nil) }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") { break }
            position += 1
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
        guard DecimalText.isValid(slice) else { return nil }
        return .some(DecimalText.double(parsing: slice))
    }

    /// Steps over a value the aggregator does not use (sizes, connection id); the sink validates them.
    @inline(__always)
    mutating func skipNumberOrNull() -> Bool {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: ","), bytes[position] != UInt8(ascii: "}") { position += 1 }
        return position > start
    }

    @inline(__always)
    mutating func plainInteger() -> Int64?? {
        if expect("null") { return .some(nil) }
        let start = position
        var result: Int64 = 0
        while position < bytes.count {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            guard position - start < 18 else { return nil }
            result = result &* 10 &+ Int64(digit)
            position += 1
        }
        return position > start ? .some(result) : nil
    }

    @inline(__always)
    mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string's content range (escapes left in place; ids and instruments never need them).
    mutating func string() throws(TickScanError) -> Range<Int> {
        guard take(UInt8(ascii: "\"")) else { throw error("expected a string") }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<(position - 1)
            }
            if byte == UInt8(ascii: "\\") { position += 1 } else if byte < 0x20 { throw error("control character in a string") }
            position += 1
        }
        throw error("unterminated string", at: start)
    }

    mutating func value() throws(TickScanError) -> ScannedValue {
        guard position < bytes.count else { throw error("expected a value") }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "\""): return ScannedValue(kind: .string, range: try string())
        case UInt8(ascii: "n"): try word("null"); return ScannedValue(kind: .null, range: start..<position)
        case UInt8(ascii: "t"): try word("true"); return ScannedValue(kind: .boolean, range: start..<position)
        case UInt8(ascii: "f"): try word("false"); return ScannedValue(kind: .boolean, range: start..<position)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                     UInt8(ascii: "e"), UInt8(ascii: "E"):
                    position += 1
                default:
                    return ScannedValue(kind: .number, range: start..<position)
                }
            }
            return ScannedValue(kind: .number, range: start..<position)
        default:
            throw error("unsupported value (ticks are flat objects)")
        }
    }

    private mutating func word(_ text: StaticString) throws(TickScanError) {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count, memoryEqual(text.utf8Start, bytes.baseAddress! + position, count) else {
            throw error("invalid literal")
        }
        position += count
    }

    func decimal(_ value: ScannedValue) throws(TickScanError) -> Double? {
        if value.kind == .null { return nil }
        let slice = UnsafeBufferPointer(rebasing: bytes[value.range])
        guard value.kind == .number, DecimalText.isValid(slice) else { throw error("not a number", at: value.range.lowerBound) }
        return DecimalText.double(parsing: slice)
    }

    func integer(_ value: ScannedValue, nullable: Bool) throws(TickScanError) -> Int64? {
        if value.kind == .null, nullable { return nil }
        guard value.kind == .number, !value.range.isEmpty else { throw error("not an integer", at: value.range.lowerBound) }
        var index = value.range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < value.range.upperBound else { throw error("not an integer", at: value.range.lowerBound) }
        var result: Int64 = 0
        while index < value.range.upperBound {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw error("not an integer", at: value.range.lowerBound) }
            let (times, overflow) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(digit))
            guard !overflow, !overflow2 else { throw error("integer out of range", at: value.range.lowerBound) }
            result = sum
            index += 1
        }
        return negative ? -result : result
    }
}
