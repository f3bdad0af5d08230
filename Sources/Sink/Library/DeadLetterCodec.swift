import Foundation
import TickbusMarket

/// The JSON of a `dlq.sink` record: where the record came from, why it was refused, when, and its bytes.
/// `{"v":1,"topic":…,"partition":…,"offset":…,"reason":…,"ts":µs,"raw_b64":…}`, plus `"raw_size":N` when
/// `raw_b64` holds only the first ``rawLimit`` bytes of a longer record.
enum DeadLetterCodec {
    /// Most bytes of a refused record a dead letter keeps. Base64 adds a third, and the dead letter must stay
    /// under the broker's default 1 MB message limit: one that never fits would be retried forever and stop
    /// the sink.
    static let rawLimit = 256 << 10

    static func encode(_ letter: SinkDeadLetter, time: Int64) -> [UInt8] {
        let kept = letter.value.prefix(rawLimit)
        var output: [UInt8] = []
        output.reserveCapacity(kept.count * 4 / 3 + 256)
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
        JSONWriter.appendLiteral(#","raw_b64":""#, to: &output)
        JSONWriter.appendRaw(Data(kept).base64EncodedString(), to: &output)
        if kept.count < letter.value.count {
            JSONWriter.appendLiteral(#"","raw_size":"#, to: &output)
            JSONWriter.appendInteger(Int64(letter.value.count), to: &output)
            output.append(UInt8(ascii: "}"))
        } else {
            JSONWriter.appendLiteral(#""}"#, to: &output)
        }
        return output
    }
}
