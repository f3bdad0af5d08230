/// A decimal number exactly as a venue wrote it (`"25.35190000"`, `65245.09165178642`, `1e-7`).
///
/// Prices travel through Tickbus as text so nothing is lost to binary floating point; `doubleValue` is the
/// correctly rounded conversion for arithmetic. Only JSON number syntax is accepted (no `+`, `.5`, `NaN`).
public struct DecimalText: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init?(_ text: String) {
        var text = text
        guard text.withUTF8({ Self.isValid($0) }) else { return nil }
        self.text = text
    }

    public init?(bytes: ArraySlice<UInt8>) {
        guard let decimal = bytes.withUnsafeBufferPointer({ DecimalText(bytes: $0) }) else { return nil }
        self = decimal
    }

    public init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard Self.isValid(bytes) else { return nil }
        text = String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { text }

    /// The nearest `Double` (see ``double(parsing:)``).
    public var doubleValue: Double {
        var text = text
        return text.withUTF8 { Self.double(parsing: $0) }
    }

    /// The nearest `Double` to a JSON number's text: exact fast path when the digits form an integer below
    /// 2^53 with at most 22 decimals (both operands exact, one correctly rounded division); the standard
    /// library's parser else. `nan` when the text is not a number.
    @inlinable
    public static func double(parsing bytes: UnsafeBufferPointer<UInt8>) -> Double {
        var mantissa: UInt64 = 0
        var digits = 0, decimals = 0
        var negative = false, afterPoint = false, simple = true
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "-"): negative = true
            case UInt8(ascii: "."): afterPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if mantissa == 0 && byte == UInt8(ascii: "0") && !afterPoint { continue }
                digits += 1
                if digits > 19 { simple = false; break }
                mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                if afterPoint { decimals += 1 }
            default: simple = false  // exponent
            }
            if !simple { break }
        }
        if simple, mantissa < (1 << 53), decimals <= 22 {
            // 10^k is exact for k ≤ 22, and so is every partial product: no table (a global costs a lazy-init check).
            var divisor = 1.0
            for _ in 0..<decimals { divisor *= 10 }
            let value = Double(mantissa) / divisor
            return negative ? -value : value
        }
        return Double(String(decoding: bytes, as: UTF8.self)) ?? .nan
    }

    /// JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var index = 0
        @inline(__always) func isDigit(_ position: Int) -> Bool {
            position < count && bytes[position] &- UInt8(ascii: "0") < 10
        }
        if index < count && bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < count && bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            guard isDigit(index) else { return false }
            while isDigit(index) { index += 1 }
        }
        if index < count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { return false }
            while isDigit(index) { index += 1 }
        }
        if index < count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            if index < count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard isDigit(index) else { return false }
            while isDigit(index) { index += 1 }
        }
        return index == count
    }
}
