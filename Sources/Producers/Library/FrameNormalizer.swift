import Foundation
public import TickbusMarket

/// `producer normalize`: raw frames, one per line (`b64:` + base64 for binary frames), to tick JSON lines.
/// Bad frames are reported, never fatal. Sequence numbers count ticks from 1; connection is 0.
public struct FrameNormalizer {
    public let adapter: any VenueAdapter
    public let producer: String
    public private(set) var sequence: UInt64 = 0
    public private(set) var badFrames = 0

    public init(adapter: any VenueAdapter, producer: String = "normalize") {
        self.adapter = adapter
        self.producer = producer
    }

    /// Decodes one input line; appends the tick lines to `output` and returns the problem, if any.
    public mutating func normalize(line: ArraySlice<UInt8>, receiveTime: Int64, output: inout [UInt8]) -> String? {
        let frame: WebSocketFrame
        if line.starts(with: Self.base64Prefix) {
            guard let data = Data(base64Encoded: Data(line.dropFirst(Self.base64Prefix.count))) else {
                badFrames += 1
                return "line is not valid base64 after 'b64:'"
            }
            frame = WebSocketFrame(opcode: .binary, bytes: Array(data))
        } else {
            frame = WebSocketFrame(opcode: .text, bytes: Array(line))
        }
        do {
            for event in try adapter.decode(frame, receiveTime: receiveTime) {
                guard case .tick(var tick) = event else { continue }
                sequence += 1
                tick.sequence = sequence
                tick.producer = producer
                TickCodec.encode(tick, into: &output)
                output.append(0x0A)
            }
            return nil
        } catch {
            badFrames += 1
            return error.description
        }
    }

    static let base64Prefix = Array("b64:".utf8)
}
