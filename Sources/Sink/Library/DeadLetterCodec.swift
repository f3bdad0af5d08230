import TickbusMarket

/// The JSON of a `dlq.sink` record: where the record came from, why it was refused, when, and its bytes.
/// `{"v":1,"topic":…,"partition":…,"offset":…,"reason":…,"ts":µs,"raw_b64":…}`, plus `"raw_size":N` when
/// `raw_b64` holds only the start of a longer record (``DeadLetterRaw``).
enum DeadLetterCodec {
    static func encode(_ letter: SinkDeadLetter, time: Int64) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(min(letter.value.count, DeadLetterRaw.limit) * 4 / 3 + 256)
        JSONWriter.appendLiteral(#"{"v":1,"topic":"#, to: &output)
        JSONWriter.appendString(letter.topic, to: &output)
        JSONWriter.appendLiteral(#","partition":"#, to: &output)
        JSONWriter.appendInteger(Int64(letter.partition), to: &output)
        JSONWriter.appendLiteral(#","offset":"#, to: &output)
        JSONWriter.appendInteger(letter.offset, to: &output)
        JSONWriter.appendLiteral(#","reason":"#, to: &output)
        JSONWriter.appendString(letter.reason, to: &output)
        JSONWriter.appendLiteral(#","ts":"#, to: &output)
        JSONWriter.appendInteger(time, to: &output)
        output.append(UInt8(ascii: ","))
        DeadLetterRaw.append(letter.value, to: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }
}
