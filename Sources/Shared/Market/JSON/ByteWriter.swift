/// Writes into a caller-sized raw buffer without bounds re-checks or per-piece `Array` appends: the tick
/// encoder sizes the buffer from its inputs, fills it, and appends it to the output once.
struct ByteWriter {
    let base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress!
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        base[count] = value
        count += 1
    }

    @inline(__always)
    mutating func literal(_ text: StaticString) {
        (base + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    /// Text known to need no JSON escaping (ids, canonical instruments, decimals).
    @inline(__always)
    mutating func raw(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            (base + count).update(from: bytes.baseAddress!, count: bytes.count)
            count += bytes.count
        }
    }

    /// A JSON string; needs at most `6 × utf8.count + 2` bytes.
    mutating func string(_ text: String) {
        byte(UInt8(ascii: "\""))
        var text = text
        let plain = text.withUTF8 { bytes in
            bytes.allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        }
        if plain {
            raw(text)
            byte(UInt8(ascii: "\""))
            return
        }
        for value in text.utf8 {
            switch value {
            case UInt8(ascii: "\""): literal(#"\""#)
            case UInt8(ascii: "\\"): literal(#"\\"#)
            case 0x0A: literal(#"\n"#)
            case 0x0D: literal(#"\r"#)
            case 0x09: literal(#"\t"#)
            case ..<0x20:
                literal(#"\u00"#)
                byte(Self.hexDigit(value >> 4))
                byte(Self.hexDigit(value & 0xF))
            default: byte(value)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    /// At most 20 bytes. Two digits per division: times and sequence numbers have 10–16 digits.
    mutating func integer(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var scratch = magnitude
        while scratch >= 100 { digits += 2; scratch /= 100 }
        if scratch >= 10 { digits += 1 }
        var position = count + digits
        Self.digitPairs.withUTF8Buffer { pairs in
            while magnitude >= 100 {
                let pair = Int(truncatingIfNeeded: magnitude % 100) &* 2
                magnitude /= 100
                position -= 2
                base[position] = pairs[pair]
                base[position + 1] = pairs[pair + 1]
            }
            if magnitude >= 10 {
                let pair = Int(truncatingIfNeeded: magnitude) &* 2
                base[position - 2] = pairs[pair]
                base[position - 1] = pairs[pair + 1]
            } else {
                base[position - 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)
            }
        }
        count += digits
    }

    /// "00", "01" … "99" back to back (a computed StaticString: no lazy global initialisation).
    private static var digitPairs: StaticString {
        """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
