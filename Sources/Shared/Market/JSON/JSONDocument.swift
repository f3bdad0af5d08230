/// A parsed JSON text: the bytes plus a flat "tape" of its values, built in one pass without allocating
/// per value. Values are read lazily (numbers stay text, strings are unescaped only when asked for), which
/// is what makes venue frames cheap to decode (see docs/benchmarks.md). A class, so a ``JSONValue`` copy
/// retains one reference rather than two arrays.
public final class JSONDocument: Sendable {
    public enum Kind: UInt8, Sendable {
        case object, array, string, number, bool, null
    }

    struct Entry: Sendable {
        var kind: Kind
        /// For strings, whether the content holds a backslash escape.
        var escaped: Bool
        /// Byte range of the value (strings: content without quotes; bool: start only).
        var start: Int32
        var end: Int32
        /// Index of the entry after this value and all its descendants.
        var next: Int32

        /// Offsets fit: documents are shorter than 2 GiB (checked once, in `init(parsing:)`).
        init(kind: Kind, escaped: Bool = false, start: Int, end: Int, next: Int) {
            self.kind = kind
            self.escaped = escaped
            self.start = Int32(truncatingIfNeeded: start)
            self.end = Int32(truncatingIfNeeded: end)
            self.next = Int32(truncatingIfNeeded: next)
        }
    }

    public let bytes: [UInt8]
    let entries: [Entry]

    /// Deepest nesting accepted; deeper input is rejected rather than recursed into.
    public static let maximumDepth = 64

    public init(parsing bytes: [UInt8]) throws(JSONError) {
        // Offsets are stored as Int32.
        guard bytes.count < Int(Int32.max) else { throw JSONError(reason: "document larger than 2 GiB", offset: 0) }
        var entries: [Entry] = []
        entries.reserveCapacity(32)
        var parser = Parser()
        try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            parser.buffer = buffer
            try parser.parseValue(into: &entries, depth: 0)
            parser.skipWhitespace()
            guard parser.position == buffer.count else { throw JSONError(reason: "trailing characters", offset: parser.position) }
        }
        self.bytes = bytes
        self.entries = entries
    }

    public convenience init(parsing text: String) throws(JSONError) {
        try self.init(parsing: Array(text.utf8))
    }

    public var root: JSONValue { JSONValue(document: self, index: 0) }
}

/// Input that is not a single well-formed JSON value.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONDocument {
    struct Parser {
        var buffer = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var position = 0

        // The hot loops below work on local copies of `buffer` and `position`: through `self` every byte
        // would be a load and a store (see docs/benchmarks.md).
        @inline(__always)
        mutating func skipWhitespace() {
            let buffer = self.buffer
            var position = self.position
            while position < buffer.count {
                let byte = buffer[position]
                guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { break }
                position += 1
            }
            self.position = position
        }

        func fail(_ reason: String) -> JSONError { JSONError(reason: reason, offset: position) }

        mutating func parseValue(into entries: inout [Entry], depth: Int) throws(JSONError) {
            guard depth < JSONDocument.maximumDepth else { throw fail("nesting deeper than \(JSONDocument.maximumDepth)") }
            skipWhitespace()
            guard position < buffer.count else { throw fail("unexpected end of input") }
            let index = entries.count
            switch buffer[position] {
            case UInt8(ascii: "{"):
                entries.append(Entry(kind: .object, start: position, end: 0, next: 0))
                position += 1
                skipWhitespace()
                if position < buffer.count, buffer[position] == UInt8(ascii: "}") {
                    position += 1
                } else {
                    while true {
                        skipWhitespace()
                        guard position < buffer.count, buffer[position] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                        try parseString(into: &entries)
                        skipWhitespace()
                        guard position < buffer.count, buffer[position] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                        position += 1
                        try parseValue(into: &entries, depth: depth + 1)
                        skipWhitespace()
                        guard position < buffer.count else { throw fail("unterminated object") }
                        if buffer[position] == UInt8(ascii: ",") { position += 1; continue }
                        guard buffer[position] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                        position += 1
                        break
                    }
                }
            case UInt8(ascii: "["):
                entries.append(Entry(kind: .array, start: position, end: 0, next: 0))
                position += 1
                skipWhitespace()
                if position < buffer.count, buffer[position] == UInt8(ascii: "]") {
                    position += 1
                } else {
                    while true {
                        try parseValue(into: &entries, depth: depth + 1)
                        skipWhitespace()
                        guard position < buffer.count else { throw fail("unterminated array") }
                        if buffer[position] == UInt8(ascii: ",") { position += 1; continue }
                        guard buffer[position] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                        position += 1
                        break
                    }
                }
            case UInt8(ascii: "\""):
                try parseString(into: &entries)
                return
            case UInt8(ascii: "t"):
                try literal("true")
                entries.append(Entry(kind: .bool, start: position - 4, end: position, next: index + 1))
                return
            case UInt8(ascii: "f"):
                try literal("false")
                entries.append(Entry(kind: .bool, start: position - 5, end: position, next: index + 1))
                return
            case UInt8(ascii: "n"):
                try literal("null")
                entries.append(Entry(kind: .null, start: position - 4, end: position, next: index + 1))
                return
            default:
                let (start, end) = try scanNumber()
                entries.append(Entry(kind: .number, start: start, end: end, next: index + 1))
                return
            }
            entries[index].end = Int32(truncatingIfNeeded: position)
            entries[index].next = Int32(truncatingIfNeeded: entries.count)
        }

        mutating func literal(_ word: StaticString) throws(JSONError) {
            let count = word.utf8CodeUnitCount
            guard position + count <= buffer.count else { throw fail("invalid literal") }
            let matches = word.withUTF8Buffer { expected in
                (0..<count).allSatisfy { buffer[position + $0] == expected[$0] }
            }
            guard matches else { throw fail("invalid literal") }
            position += count
        }

        mutating func parseString(into entries: inout [Entry]) throws(JSONError) {
            let (start, end, escaped) = try scanString()
            entries.append(Entry(kind: .string, escaped: escaped, start: start, end: end, next: entries.count + 1))
        }

        /// A number at `position`: its byte range, validated against JSON's grammar.
        mutating func scanNumber() throws(JSONError) -> (start: Int, end: Int) {
            let buffer = self.buffer
            let start = position
            var end = position
            while end < buffer.count {
                switch buffer[end] {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                     UInt8(ascii: "e"), UInt8(ascii: "E"):
                    end += 1
                    continue
                default: break
                }
                break
            }
            guard end > start, DecimalText.isValid(UnsafeBufferPointer(rebasing: buffer[start..<end])) else {
                throw fail("invalid value")
            }
            position = end
            return (start, end)
        }

        /// A string at `position` (on its opening quote): the range of its content and whether it holds an
        /// escape. Escapes and UTF-8 are checked; control characters rejected.
        mutating func scanString() throws(JSONError) -> (start: Int, end: Int, escaped: Bool) {
            let buffer = self.buffer
            var position = self.position + 1  // after the opening quote
            let start = position
            var escaped = false
            var needsUTF8Check = false
            defer { self.position = position }
            while position < buffer.count {
                // Fast paths over ordinary ASCII: eight bytes per step, then one range check per byte.
                while position &+ 8 <= buffer.count {
                    let word = UnsafeRawPointer(buffer.baseAddress! + position).loadUnaligned(as: UInt64.self)
                    let special = Self.specialBytes(word)
                    if special != 0 {
                        position &+= special.trailingZeroBitCount &>> 3
                        break
                    }
                    position &+= 8
                }
                while position < buffer.count {
                    let byte = buffer[position]
                    guard byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                    position += 1
                }
                guard position < buffer.count else { break }
                let byte = buffer[position]
                if byte == UInt8(ascii: "\"") {
                    if needsUTF8Check, !Self.isValidUTF8(UnsafeBufferPointer(rebasing: buffer[start..<position])) {
                        throw JSONError(reason: "invalid UTF-8 in string", offset: position)
                    }
                    position += 1
                    return (start, position - 1, escaped)
                }
                if byte == UInt8(ascii: "\\") {
                    escaped = true
                    position += 1
                    guard position < buffer.count else { break }
                    switch buffer[position] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        position += 1
                    case UInt8(ascii: "u"):
                        guard position + 4 < buffer.count,
                              (1...4).allSatisfy({ Self.hexValue(buffer[position + $0]) != nil }) else { throw JSONError(reason: "invalid \\u escape", offset: position) }
                        position += 5
                    default:
                        throw JSONError(reason: "invalid escape", offset: position)
                    }
                    continue
                }
                if byte < 0x20 { throw JSONError(reason: "control character in string", offset: position) }
                if byte >= 0x80 { needsUTF8Check = true }
                position += 1
            }
            throw JSONError(reason: "unterminated string", offset: position)
        }

        /// The high bit of each of eight bytes (little-endian) that may be a quote, a backslash, a control
        /// character or non-ASCII. The lowest set bit is exact (borrows only run upwards from a special byte),
        /// so it locates the first special byte, and zero means there is none.
        @inline(__always)
        static func specialBytes(_ word: UInt64) -> UInt64 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let quotes = word ^ (ones &* 0x22), backslashes = word ^ (ones &* 0x5C)
            let zeroByteInQuotes = (quotes &- ones) & ~quotes
            let zeroByteInBackslashes = (backslashes &- ones) & ~backslashes
            let belowSpace = word &- (ones &* 0x20)
            return (zeroByteInQuotes | zeroByteInBackslashes | belowSpace | word) & (ones &* 0x80)
        }

        static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
            default: nil
            }
        }

        static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue: continue
                case .emptyInput: return true
                case .error: return false
                }
            }
        }
    }
}
