/// One value inside a ``JSONDocument``; cheap to copy, read on demand.
public struct JSONValue: Sendable {
    let document: JSONDocument
    let index: Int

    var entry: JSONDocument.Entry { document.entries[index] }

    public var kind: JSONDocument.Kind { entry.kind }

    /// Object member by key (first match), or `nil` when absent or not an object.
    public subscript(key: StaticString) -> JSONValue? {
        guard entry.kind == .object else { return nil }
        let end = Int(entry.next)
        var child = index + 1
        while child < end {
            let value = child + 1
            if keyEquals(child, key) { return JSONValue(document: document, index: value) }
            child = Int(document.entries[value].next)
        }
        return nil
    }

    /// Array element, or `nil` when out of range or not an array.
    public subscript(position: Int) -> JSONValue? {
        guard entry.kind == .array, position >= 0 else { return nil }
        let end = Int(entry.next)
        var child = index + 1, count = 0
        while child < end {
            if count == position { return JSONValue(document: document, index: child) }
            child = Int(document.entries[child].next)
            count += 1
        }
        return nil
    }

    /// Calls `body` with each member's raw key bytes (as written, escapes not decoded) and value, in
    /// document order: one pass instead of one scan per looked-up key.
    public func forEachMember(_ body: (ArraySlice<UInt8>, JSONValue) throws -> Void) rethrows {
        guard entry.kind == .object else { return }
        let end = Int(entry.next)
        var child = index + 1
        while child < end {
            let key = document.entries[child]
            try body(document.bytes[Int(key.start)..<Int(key.end)], JSONValue(document: document, index: child + 1))
            child = Int(document.entries[child + 1].next)
        }
    }

    /// Array elements (empty for other kinds).
    public var elements: [JSONValue] {
        guard entry.kind == .array else { return [] }
        var result: [JSONValue] = []
        let end = Int(entry.next)
        var child = index + 1
        while child < end {
            result.append(JSONValue(document: document, index: child))
            child = Int(document.entries[child].next)
        }
        return result
    }

    /// Object keys in document order (empty for other kinds).
    public var keys: [String] {
        guard entry.kind == .object else { return [] }
        var result: [String] = []
        let end = Int(entry.next)
        var child = index + 1
        while child < end {
            result.append(JSONValue(document: document, index: child).string ?? "")
            child = Int(document.entries[child + 1].next)
        }
        return result
    }

    public var isNull: Bool { entry.kind == .null }

    public var bool: Bool? {
        guard entry.kind == .bool else { return nil }
        return document.bytes[Int(entry.start)] == UInt8(ascii: "t")
    }

    /// The raw bytes of a number, or of a string's content when it has no escapes.
    public var rawBytes: ArraySlice<UInt8>? {
        rawRange.map { document.bytes[$0] }
    }

    /// Where ``rawBytes`` lie in the document's bytes.
    public var rawRange: Range<Int>? {
        let entry = self.entry
        switch entry.kind {
        case .number: return Int(entry.start)..<Int(entry.end)
        case .string where !entry.escaped: return Int(entry.start)..<Int(entry.end)
        default: return nil
        }
    }

    /// A string's unescaped content.
    public var string: String? {
        guard entry.kind == .string else { return nil }
        let content = document.bytes[Int(entry.start)..<Int(entry.end)]
        return entry.escaped ? Self.unescape(content) : String(decoding: content, as: UTF8.self)
    }

    /// Whether this is a string equal to `text` (no allocation when unescaped).
    public func stringEquals(_ text: StaticString) -> Bool {
        guard entry.kind == .string else { return false }
        guard !entry.escaped else { return string == text.description }
        return Self.bytesEqual(document.bytes, Int(entry.start), Int(entry.end), text)
    }

    /// A decimal from a JSON number or a string holding one (venues send both).
    public var decimal: DecimalText? {
        guard let bytes = rawBytes else { return nil }
        return DecimalText(bytes: bytes)
    }

    /// An integer from a JSON number or a digit string (`"1700000000123"`).
    public var int64: Int64? {
        rawBytes?.withUnsafeBufferPointer { Self.integer($0) }
    }

    /// The integer a JSON number's or digit string's raw bytes spell, or `nil` (empty, not digits, overflow).
    public static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        var negative = false
        for (offset, byte) in zip(0..., bytes) {
            if offset == 0 && byte == UInt8(ascii: "-") { negative = true; continue }
            guard (48...57).contains(byte) else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int64(byte - 48))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    private func keyEquals(_ keyIndex: Int, _ key: StaticString) -> Bool {
        let keyEntry = document.entries[keyIndex]
        if keyEntry.escaped { return JSONValue(document: document, index: keyIndex).string == key.description }
        return Self.bytesEqual(document.bytes, Int(keyEntry.start), Int(keyEntry.end), key)
    }

    private static func bytesEqual(_ bytes: [UInt8], _ start: Int, _ end: Int, _ text: StaticString) -> Bool {
        guard end - start == text.utf8CodeUnitCount else { return false }
        return text.withUTF8Buffer { expected in
            bytes.withUnsafeBufferPointer { buffer in
                (0..<expected.count).allSatisfy { buffer[start + $0] == expected[$0] }
            }
        }
    }

    static func unescape(_ content: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var index = content.startIndex
        func flush() {
            if !utf8.isEmpty { scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars); utf8.removeAll() }
        }
        func hex4(_ at: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 << 4 | (JSONDocument.Parser.hexValue(content[at + $1]) ?? 0) }
        }
        while index < content.endIndex {
            let byte = content[index]
            guard byte == UInt8(ascii: "\\") else { utf8.append(byte); index += 1; continue }
            flush()
            let escape = content[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(index)
                index += 4
                if (0xD800..<0xDC00).contains(code), index + 5 < content.endIndex,
                   content[index] == UInt8(ascii: "\\"), content[index + 1] == UInt8(ascii: "u") {
                    let low = hex4(index + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: scalars.append(Unicode.Scalar(escape))
            }
        }
        flush()
        return String(scalars)
    }
}
