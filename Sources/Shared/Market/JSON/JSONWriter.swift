/// Small byte-level JSON output helpers for the hot paths.
public enum JSONWriter {
    /// Appends literal bytes (a memcpy; `append(contentsOf: "…".utf8)` goes element by element).
    @inline(__always)
    public static func appendLiteral(_ literal: StaticString, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Appends a string's UTF-8 bytes unescaped (for text known to need no escaping, e.g. decimals).
    @inline(__always)
    public static func appendRaw(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { output.append(contentsOf: $0) }
    }

    /// A JSON string, escaped by ``ByteWriter`` (the one escaper the tick codec uses too).
    public static func appendString(_ text: String, to output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6 * text.utf8.count + 2) { buffer in
            var writer = ByteWriter(buffer)
            writer.string(text)
            output.append(contentsOf: UnsafeBufferPointer(start: writer.base, count: writer.count))
        }
    }

    public static func appendInteger(_ value: Int64, to output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var writer = ByteWriter(buffer)
            writer.integer(value)
            output.append(contentsOf: UnsafeBufferPointer(start: writer.base, count: writer.count))
        }
    }
}
