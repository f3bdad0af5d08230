import Foundation

/// The raw bytes of a dead letter (`dlq.producer`'s frame, `dlq.sink`'s refused record), shared by both.
public enum DeadLetterRaw {
    /// Most bytes a dead letter keeps. Base64 adds a third, and the dead letter must stay under the broker's
    /// default 1 MB message limit: one that never fits would be retried forever.
    public static let limit = 256 << 10

    /// `"raw_b64":"…"` of at most ``limit`` bytes, then `,"raw_size":N` when that is not all of them.
    public static func append(_ bytes: [UInt8], to output: inout [UInt8]) {
        JSONWriter.appendLiteral(#""raw_b64":""#, to: &output)
        JSONWriter.appendRaw(Data(bytes.prefix(limit)).base64EncodedString(), to: &output)
        output.append(UInt8(ascii: "\""))
        if bytes.count > limit {
            JSONWriter.appendLiteral(#","raw_size":"#, to: &output)
            JSONWriter.appendInteger(Int64(bytes.count), to: &output)
        }
    }
}
