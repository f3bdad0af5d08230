/// One member of a flat JSON object: where its key and value lie in the scanned bytes.
public struct JSONFlatMember: Sendable {
    /// The key's content (without quotes, escapes not decoded).
    public var key: Range<Int>
    /// `string`, `number`, `bool` or `null`.
    public var kind: JSONDocument.Kind
    /// The value's bytes (strings: content without quotes; bool and null: the literal).
    public var value: Range<Int>
    /// For strings, whether the content holds a backslash escape.
    public var escaped: Bool

    /// The raw bytes of a number, or of a string's content when it has no escapes (as ``JSONValue/rawRange``).
    public var rawRange: Range<Int>? {
        switch kind {
        case .number: value
        case .string where !escaped: value
        default: nil
        }
    }
}

/// Most venue data frames are one object of scalars (`{"u":…,"s":"BTCUSDT","b":"25.35",…}`). Scanning those
/// without building a ``JSONDocument`` tape is the hot path of the busiest adapters; everything else (nesting,
/// arrays, and all malformed input, so errors read the same) goes to ``JSONDocument``.
public enum JSONFlatObject {
    /// Scans `bytes` as one JSON object whose values are all strings, numbers, booleans or null, with the
    /// same validation as ``JSONDocument`` (escapes, UTF-8, number grammar, nothing trailing), calling `body`
    /// with each member in document order. Returns `false` as soon as the input is anything else: `body` may
    /// then have seen some members, which the caller discards.
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (JSONFlatMember) -> Void) -> Bool {
        guard bytes.count < Int(Int32.max) else { return false }  // as JSONDocument
        var parser = JSONDocument.Parser()
        parser.buffer = bytes
        do {
            return try scan(&parser, body)
        } catch {
            return false
        }
    }

    private static func scan(_ parser: inout JSONDocument.Parser, _ body: (JSONFlatMember) -> Void) throws(JSONError) -> Bool {
        let buffer = parser.buffer
        parser.skipWhitespace()
        guard parser.position < buffer.count, buffer[parser.position] == UInt8(ascii: "{") else { return false }
        parser.position += 1
        parser.skipWhitespace()
        if parser.position < buffer.count, buffer[parser.position] == UInt8(ascii: "}") {
            parser.position += 1
        } else {
            while true {
                parser.skipWhitespace()
                guard parser.position < buffer.count, buffer[parser.position] == UInt8(ascii: "\"") else { return false }
                let key = try parser.scanString()
                parser.skipWhitespace()
                guard parser.position < buffer.count, buffer[parser.position] == UInt8(ascii: ":") else { return false }
                parser.position += 1
                parser.skipWhitespace()
                guard parser.position < buffer.count else { return false }
                var member = JSONFlatMember(key: key.start..<key.end, kind: .null, value: 0..<0, escaped: false)
                let start = parser.position
                switch buffer[start] {
                case UInt8(ascii: "\""):
                    let value = try parser.scanString()
                    member.kind = .string
                    member.value = value.start..<value.end
                    member.escaped = value.escaped
                case UInt8(ascii: "t"):
                    try parser.literal("true")
                    member.kind = .bool
                    member.value = start..<parser.position
                case UInt8(ascii: "f"):
                    try parser.literal("false")
                    member.kind = .bool
                    member.value = start..<parser.position
                case UInt8(ascii: "n"):
                    try parser.literal("null")
                    member.value = start..<parser.position
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    return false
                default:
                    let value = try parser.scanNumber()
                    member.kind = .number
                    member.value = value.start..<value.end
                }
                body(member)
                parser.skipWhitespace()
                guard parser.position < buffer.count else { return false }
                if buffer[parser.position] == UInt8(ascii: ",") { parser.position += 1; continue }
                guard buffer[parser.position] == UInt8(ascii: "}") else { return false }
                parser.position += 1
                break
            }
        }
        parser.skipWhitespace()
        return parser.position == buffer.count
    }
}
