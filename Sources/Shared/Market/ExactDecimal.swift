/// The `exact` field of an oracle tick (docs/topics.md#exact): an observation's exact decimal value as text,
/// in plain notation (no exponent), a leading `-` for negatives. Two inputs, two rules:
/// - a decimal the source sends (PolyBolt's `full_accuracy_value`, `"64120.70000000"`) is kept digit for digit
///   once validated; only an exponent (`1.5e3`) is spelled out, since the contract forbids exponents;
/// - an E18 fixed-point integer (RTDS's `full_accuracy_value`, `"65000500000000000000000"`) is divided by
///   10^18 exactly, trailing fractional zeros dropped (`65000.5`; `65000000000000000000000` → `65000`).
public enum ExactDecimal {
    /// A decimal as the source wrote it, validated (JSON number syntax) and without exponent; `nil` if it is
    /// not a number.
    public static func decimal(_ text: String) -> String? {
        guard DecimalText(text) != nil else { return nil }
        let bytes = Array(text.utf8)
        guard let exponentIndex = bytes.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return text }
        guard let exponent = Int(String(decoding: bytes[(exponentIndex + 1)...].filter { $0 != UInt8(ascii: "+") }, as: UTF8.self)),
              abs(exponent) <= 400 else { return nil }
        var mantissa = bytes[..<exponentIndex]
        let negative = mantissa.first == UInt8(ascii: "-")
        if negative { mantissa = mantissa.dropFirst() }
        let point = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerDigits = point.map { $0 - mantissa.startIndex } ?? mantissa.count
        let digits = mantissa.filter { $0 != UInt8(ascii: ".") }
        return spell(digits: digits[...], pointAfter: integerDigits + exponent, negative: negative, trimFraction: false)
    }

    /// An E18 fixed-point integer (optionally signed) as a plain decimal with trailing zeros dropped; `nil` if
    /// the text is not an integer. Byte by byte: it runs on every RTDS oracle frame.
    public static func fromE18(_ text: String) -> String? {
        var copy = text
        return copy.withUTF8 { utf8 -> String? in
            var digits = utf8[...]
            let negative = digits.first == UInt8(ascii: "-")
            if negative { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            return spell(digits: digits, pointAfter: digits.count - 18, negative: negative, trimFraction: true)
        }
    }

    /// `digits` with the decimal point after `pointAfter` of them (may be ≤ 0 or beyond the end): leading
    /// integer zeros dropped (one kept), trailing fractional zeros dropped when `trimFraction`, `-0` is `0`.
    private static func spell<Digits: Collection<UInt8>>(digits: Digits, pointAfter: Int, negative: Bool, trimFraction: Bool) -> String
    where Digits.Index == Int {
        let zero = UInt8(ascii: "0")
        var output: [UInt8] = []
        output.reserveCapacity(digits.count + max(0, -pointAfter) + max(0, pointAfter - digits.count) + 3)
        if negative { output.append(UInt8(ascii: "-")) }
        let integerStart = output.count
        // Integer part.
        if pointAfter <= 0 {
            output.append(zero)
        } else {
            var started = false
            for offset in 0..<pointAfter {
                let digit = offset < digits.count ? digits[digits.startIndex + offset] : zero
                if digit == zero, !started, offset < pointAfter - 1 { continue }
                started = true
                output.append(digit)
            }
        }
        // Fraction.
        var fraction: [UInt8] = []
        if pointAfter < 0 { fraction.append(contentsOf: repeatElement(zero, count: -pointAfter)) }
        if pointAfter < digits.count {
            fraction.append(contentsOf: digits[(digits.startIndex + max(0, pointAfter))...])
        }
        if trimFraction { while fraction.last == zero { fraction.removeLast() } }
        let isZero = output[integerStart...].allSatisfy { $0 == zero } && fraction.allSatisfy { $0 == zero }
        if negative, isZero { output.removeFirst() }
        if !fraction.isEmpty {
            output.append(UInt8(ascii: "."))
            output.append(contentsOf: fraction)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
