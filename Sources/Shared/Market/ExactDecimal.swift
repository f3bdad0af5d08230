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
        guard let exponentIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return text }
        guard let exponent = Int(text[text.index(after: exponentIndex)...].replacingOccurrences(of: "+", with: "")),
              abs(exponent) <= 400 else { return nil }
        var mantissa = Substring(text[..<exponentIndex])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa = mantissa.dropFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = parts[0], fraction = parts.count > 1 ? parts[1] : ""
        return spell(digits: String(integer + fraction), pointAfter: integer.count + exponent, negative: negative, trimFraction: false)
    }

    /// An E18 fixed-point integer (optionally signed) as a plain decimal with trailing zeros dropped; `nil` if
    /// the text is not an integer.
    public static func fromE18(_ text: String) -> String? {
        var digits = Substring(text)
        let negative = digits.hasPrefix("-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return spell(digits: String(digits), pointAfter: digits.count - 18, negative: negative, trimFraction: true)
    }

    /// `digits` with the decimal point after `pointAfter` of them (may be ≤ 0 or beyond the end): leading
    /// integer zeros dropped (one kept), trailing fractional zeros dropped when `trimFraction`, `-0` is `0`.
    private static func spell(digits: String, pointAfter: Int, negative: Bool, trimFraction: Bool) -> String {
        var integer: Substring, fraction: Substring
        if pointAfter <= 0 {
            integer = "0"
            fraction = Substring(String(repeating: "0", count: -pointAfter) + digits)
        } else if pointAfter >= digits.count {
            integer = Substring(digits + String(repeating: "0", count: pointAfter - digits.count))
            fraction = ""
        } else {
            integer = digits.prefix(pointAfter)
            fraction = digits.dropFirst(pointAfter)
        }
        while integer.count > 1, integer.first == "0" { integer = integer.dropFirst() }
        if trimFraction { while fraction.last == "0" { fraction = fraction.dropLast() } }
        let isZero = integer.allSatisfy { $0 == "0" } && fraction.allSatisfy { $0 == "0" }
        return (negative && !isZero ? "-" : "") + integer + (fraction.isEmpty ? "" : "." + fraction)
    }
}
