import TickbusMarket

/// JSON for the aggregate topics and `aggregator replay` (one object per record, `"v": 1`, a `"type"`).
/// Numbers are shortest round-trip decimals; times are µs since the epoch; absent values are `null`.
public enum AggregateRecordCodec {
    public static func encode(_ record: AggregateRecord, into output: inout [UInt8]) {
        var writer = FieldWriter(output: output)
        output = []
        switch record {
        case .snapshot(let snapshot): encode(snapshot, &writer)
        case .window(let window): encode(window, &writer)
        case .spread(let spread): encode(spread, &writer)
        }
        output = writer.finish()
    }

    public static func encode(_ record: AggregateRecord) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        encode(record, into: &output)
        return output
    }

    private static func encode(_ record: SnapshotRecord, _ writer: inout FieldWriter) {
        writer.begin(type: "snapshot")
        writer.field("source", raw: record.source.rawValue)
        writer.field("instrument", raw: record.instrument.description)
        writer.field("second", record.second)
        writer.field("price", record.price)
        writer.field("bid", record.bid)
        writer.field("ask", record.ask)
        writer.field("fresh", record.fresh)
        writer.field("ticks", Int64(record.ticks))
        writer.field("open", record.open)
        writer.field("high", record.high)
        writer.field("low", record.low)
        writer.field("close", record.close)
        writer.field("age_ms", record.ageMilliseconds)
        writer.field("price_usd", record.priceUSD)
        writer.field("fx", record.fx)
        writer.field("fx_assumed", record.fxAssumed)
        writer.end()
    }

    private static func encode(_ record: WindowRecord, _ writer: inout FieldWriter) {
        writer.begin(type: "window")
        writer.field("source", raw: record.source.rawValue)
        writer.field("instrument", raw: record.instrument.description)
        writer.field("window_start", record.windowStart)
        writer.field("open", record.open)
        writer.field("open_ts", record.openTime)
        writer.field("open_delay_ms", record.openDelayMilliseconds)
        writer.field("current", record.current)
        writer.field("current_ts", record.currentTime)
        writer.field("high", record.high)
        writer.field("low", record.low)
        writer.field("ticks", Int64(record.ticks))
        writer.field("change", record.change)
        writer.field("change_bps", record.changeBasisPoints)
        writer.field("side", raw: record.side.rawValue)
        writer.field("seconds_left", record.secondsLeft)
        writer.field("resolution_price", record.resolutionPrice)
        writer.field("resolution_ts", record.resolutionTime)
        writer.field("resolved_side", raw: record.resolvedSide?.rawValue)
        writer.field("final", record.isFinal)
        writer.field("complete", record.complete)
        writer.field("max_gap_ms", record.maxGapMilliseconds)
        writer.field("as_of", record.asOf)
        writer.end()
    }

    private static func encode(_ record: SpreadRecord, _ writer: inout FieldWriter) {
        writer.begin(type: "spread")
        writer.field("second", record.second)
        writer.field("base", raw: record.base)
        writer.field("a", raw: record.a.rawValue)
        writer.field("b", raw: record.b.rawValue)
        writer.field("a_instrument", raw: record.aInstrument.description)
        writer.field("b_instrument", raw: record.bInstrument.description)
        writer.field("a_price_usd", record.aPriceUSD)
        writer.field("b_price_usd", record.bPriceUSD)
        writer.field("diff_usd", record.diffUSD)
        writer.field("bps", record.basisPoints)
        writer.field("diff", record.diff)
        writer.field("a_age_ms", record.aAgeMilliseconds)
        writer.field("b_age_ms", record.bAgeMilliseconds)
        writer.field("fx_assumed", record.fxAssumed)
        writer.end()
    }
}

/// Appends `"name":value` pairs; ids, instruments and enum names need no escaping.
private struct FieldWriter {
    var output: [UInt8]

    mutating func begin(type: StaticString) {
        JSONWriter.appendLiteral(#"{"v":1,"type":""#, to: &output)
        JSONWriter.appendLiteral(type, to: &output)
        output.append(UInt8(ascii: "\""))
    }

    mutating func end() { output.append(UInt8(ascii: "}")) }

    func finish() -> [UInt8] { output }

    private mutating func name(_ name: StaticString) {
        JSONWriter.appendLiteral(#",""#, to: &output)
        JSONWriter.appendLiteral(name, to: &output)
        JSONWriter.appendLiteral(#"":"#, to: &output)
    }

    mutating func field(_ key: StaticString, raw text: String?) {
        name(key)
        guard let text else { return JSONWriter.appendLiteral("null", to: &output) }
        output.append(UInt8(ascii: "\""))
        JSONWriter.appendRaw(text, to: &output)
        output.append(UInt8(ascii: "\""))
    }

    mutating func field(_ key: StaticString, _ value: Int64?) {
        name(key)
        guard let value else { return JSONWriter.appendLiteral("null", to: &output) }
        JSONWriter.appendInteger(value, to: &output)
    }

    mutating func field(_ key: StaticString, _ value: Bool) {
        name(key)
        JSONWriter.appendLiteral(value ? "true" : "false", to: &output)
    }

    /// Shortest round-trip decimal; non-finite values (never produced from finite prices) as `null`.
    mutating func field(_ key: StaticString, _ value: Double?) {
        name(key)
        guard let value, value.isFinite else { return JSONWriter.appendLiteral("null", to: &output) }
        JSONWriter.appendRaw(value.description, to: &output)
    }
}
