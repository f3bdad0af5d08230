/// The JSON form of a tick on `ticks.<source>` (ARCHITECTURE §3), written and read byte by byte: prices are
/// copied as the venue's decimal text, never through `Double`.
public enum TickCodec {
    /// One JSON object, fields in the documented order, `null` for absent numbers; `exact` only when set.
    public static func encode(_ tick: Tick, into output: inout [UInt8]) {
        JSONWriter.appendLiteral(#"{"v":1,"source":""#, to: &output)
        JSONWriter.appendRaw(tick.source.rawValue, to: &output)
        JSONWriter.appendLiteral(#"","instrument":""#, to: &output)
        JSONWriter.appendRaw(tick.instrument.base, to: &output)
        output.append(UInt8(ascii: "-"))
        JSONWriter.appendRaw(tick.instrument.quote, to: &output)
        JSONWriter.appendLiteral(#"","venue_symbol":"#, to: &output)
        JSONWriter.appendString(tick.venueSymbol, to: &output)
        JSONWriter.appendLiteral(#","kind":""#, to: &output)
        JSONWriter.appendRaw(tick.kind.rawValue, to: &output)
        JSONWriter.appendLiteral(#"","bid":"#, to: &output)
        appendDecimal(tick.bid, to: &output)
        JSONWriter.appendLiteral(#","bid_size":"#, to: &output)
        appendDecimal(tick.bidSize, to: &output)
        JSONWriter.appendLiteral(#","ask":"#, to: &output)
        appendDecimal(tick.ask, to: &output)
        JSONWriter.appendLiteral(#","ask_size":"#, to: &output)
        appendDecimal(tick.askSize, to: &output)
        JSONWriter.appendLiteral(#","last":"#, to: &output)
        appendDecimal(tick.last, to: &output)
        if let exact = tick.exact {
            JSONWriter.appendLiteral(#","exact":"#, to: &output)
            JSONWriter.appendString(exact, to: &output)
        }
        JSONWriter.appendLiteral(#","ts_venue":"#, to: &output)
        if let venueTime = tick.venueTime { JSONWriter.appendInteger(venueTime, to: &output) } else { JSONWriter.appendLiteral("null", to: &output) }
        JSONWriter.appendLiteral(#","ts_recv":"#, to: &output)
        JSONWriter.appendInteger(tick.receiveTime, to: &output)
        JSONWriter.appendLiteral(#","conn":"#, to: &output)
        JSONWriter.appendInteger(Int64(tick.connection), to: &output)
        JSONWriter.appendLiteral(#","seq":"#, to: &output)
        JSONWriter.appendInteger(Int64(clamping: tick.sequence), to: &output)
        JSONWriter.appendLiteral(#","producer":"#, to: &output)
        JSONWriter.appendString(tick.producer, to: &output)
        output.append(UInt8(ascii: "}"))
    }

    public static func encode(_ tick: Tick) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(320)
        encode(tick, into: &output)
        return output
    }

    /// Reads a tick; every required field must be present with the right type.
    public static func decode(_ bytes: [UInt8]) throws(TickDecodingError) -> Tick {
        let document: JSONDocument
        do { document = try JSONDocument(parsing: bytes) } catch { throw TickDecodingError(field: nil, reason: error.description) }
        let root = document.root
        guard root.kind == .object else { throw TickDecodingError(field: nil, reason: "not a JSON object") }
        guard root["v"]?.int64 == 1 else { throw TickDecodingError(field: "v", reason: "unsupported schema version") }
        guard let sourceText = root["source"]?.string, let source = SourceID(rawValue: sourceText) else {
            throw TickDecodingError(field: "source", reason: "missing or unknown source")
        }
        guard let instrumentText = root["instrument"]?.string, let instrument = try? Instrument(instrumentText) else {
            throw TickDecodingError(field: "instrument", reason: "missing or not canonical")
        }
        guard let kindText = root["kind"]?.string, let kind = Tick.Kind(rawValue: kindText) else {
            throw TickDecodingError(field: "kind", reason: "missing or unknown kind")
        }
        func decimal(_ value: JSONValue?, _ field: String) throws(TickDecodingError) -> DecimalText? {
            guard let value, !value.isNull else { return nil }
            guard value.kind == .number, let decimal = value.decimal else { throw TickDecodingError(field: field, reason: "not a number") }
            return decimal
        }
        func integer(_ value: JSONValue?, _ field: String) throws(TickDecodingError) -> Int64 {
            guard let value, value.kind == .number, let number = value.int64 else { throw TickDecodingError(field: field, reason: "not an integer") }
            return number
        }
        let venueTimeValue = root["ts_venue"]
        let venueTime: Int64? = (venueTimeValue == nil || venueTimeValue!.isNull) ? nil : try integer(venueTimeValue, "ts_venue")
        let sequence = try integer(root["seq"], "seq")
        guard sequence >= 0 else { throw TickDecodingError(field: "seq", reason: "negative") }
        return Tick(
            source: source, instrument: instrument,
            venueSymbol: root["venue_symbol"]?.string ?? "",
            kind: kind,
            bid: try decimal(root["bid"], "bid"), bidSize: try decimal(root["bid_size"], "bid_size"),
            ask: try decimal(root["ask"], "ask"), askSize: try decimal(root["ask_size"], "ask_size"),
            last: try decimal(root["last"], "last"),
            exact: root["exact"]?.string,
            venueTime: venueTime,
            receiveTime: try integer(root["ts_recv"], "ts_recv"),
            connection: Int(try integer(root["conn"], "conn")),
            sequence: UInt64(sequence),
            producer: root["producer"]?.string ?? ""
        )
    }

    private static func appendDecimal(_ value: DecimalText?, to output: inout [UInt8]) {
        if let value { JSONWriter.appendRaw(value.text, to: &output) } else { JSONWriter.appendLiteral("null", to: &output) }
    }
}

/// A message on a ticks topic that is not a valid tick.
public struct TickDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String?
    public let reason: String
    public var description: String { field.map { "tick field '\($0)': \(reason)" } ?? "tick: \(reason)" }
}
