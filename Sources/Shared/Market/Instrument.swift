/// A canonical instrument `BASE-QUOTE` in upper case, e.g. `BTC-USDT` (docs/topics.md#sources).
///
/// Venue spellings (`btcusdt`, `KRW-BTC`, `BTC_USDT`) are mapped by each adapter; this type only accepts and
/// prints the canonical form, so every topic key and table row uses one spelling.
public struct Instrument: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let base: String
    public let quote: String

    public init(base: String, quote: String) throws(InstrumentError) {
        let base = base.uppercased(), quote = quote.uppercased()
        guard Self.isAssetCode(base) else { throw InstrumentError(text: base, reason: "base asset must be 2-10 letters or digits") }
        guard Self.isAssetCode(quote) else { throw InstrumentError(text: quote, reason: "quote asset must be 2-10 letters or digits") }
        self.base = base
        self.quote = quote
    }

    /// Parses the canonical `BASE-QUOTE` form (case-insensitive).
    public init(_ text: String) throws(InstrumentError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw InstrumentError(text: text, reason: "expected BASE-QUOTE, e.g. BTC-USDT") }
        do {
            try self.init(base: String(parts[0]), quote: String(parts[1]))
        } catch {
            throw InstrumentError(text: text, reason: error.reason)
        }
    }

    public var description: String { "\(base)-\(quote)" }

    public static func < (lhs: Instrument, rhs: Instrument) -> Bool { lhs.description < rhs.description }

    private static func isAssetCode(_ code: String) -> Bool {
        (2...10).contains(code.count) && code.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

/// A string that is not a canonical instrument.
public struct InstrumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "invalid instrument '\(text)': \(reason)" }
}
