/// The JSON form of a tick on `ticks.<source>` (docs/topics.md), written and read byte by byte: prices are
/// copied as the venue's decimal text, never through `Double`.
public enum TickCodec {
    /// One JSON object, fields in the documented order, `null` for absent numbers; `exact` only when set.
    public static func encode(_ tick: Tick, into output: inout [UInt8]) {
        // Upper bound: fixed text and integers (< 400 bytes), decimals as they are, strings fully escaped.
        var bound = 400 + tick.instrument.base.utf8.count + tick.instrument.quote.utf8.count
        bound += 6 * (tick.venueSymbol.utf8.count + tick.producer.utf8.count + (tick.exact?.utf8.count ?? 0))
        bound += (tick.bid?.text.utf8.count ?? 0) + (tick.bidSize?.text.utf8.count ?? 0) + (tick.ask?.text.utf8.count ?? 0)
        bound += (tick.askSize?.text.utf8.count ?? 0) + (tick.last?.text.utf8.count ?? 0)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buffer in
            var writer = ByteWriter(buffer)
            writer.literal(#"{"v":1,"source":""#)
            writer.raw(tick.source.rawValue)
            writer.literal(#"","instrument":""#)
            writer.raw(tick.instrument.base)
            writer.byte(UInt8(ascii: "-"))
            writer.raw(tick.instrument.quote)
            writer.literal(#"","venue_symbol":"#)
            writer.string(tick.venueSymbol)
            writer.literal(#","kind":""#)
            writer.raw(tick.kind.rawValue)
            writer.literal(#"","bid":"#)
            decimal(tick.bid, &writer)
            writer.literal(#","bid_size":"#)
            decimal(tick.bidSize, &writer)
            writer.literal(#","ask":"#)
            decimal(tick.ask, &writer)
            writer.literal(#","ask_size":"#)
            decimal(tick.askSize, &writer)
            writer.literal(#","last":"#)
            decimal(tick.last, &writer)
            if let exact = tick.exact {
                writer.literal(#","exact":"#)
                writer.string(exact)
            }
            writer.literal(#","ts_venue":"#)
            if let venueTime = tick.venueTime { writer.integer(venueTime) } else { writer.literal("null") }
            writer.literal(#","ts_recv":"#)
            writer.integer(tick.receiveTime)
            writer.literal(#","conn":"#)
            writer.integer(Int64(tick.connection))
            writer.literal(#","seq":"#)
            writer.integer(Int64(clamping: tick.sequence))
            writer.literal(#","producer":"#)
            writer.string(tick.producer)
            writer.byte(UInt8(ascii: "}"))
            output.append(contentsOf: UnsafeBufferPointer(start: writer.base, count: writer.count))
        }
    }

    @inline(__always)
    private static func decimal(_ value: DecimalText?, _ writer: inout ByteWriter) {
        if let value { writer.raw(value.text) } else { writer.literal("null") }
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
}

/// A message on a ticks topic that is not a valid tick.
public struct TickDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String?
    public let reason: String
    public var description: String { field.map { "tick field '\($0)': \(reason)" } ?? "tick: \(reason)" }
}
