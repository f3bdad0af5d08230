import Foundation
import TickbusMarket

/// `producer normalize`: raw frames, one per line (`b64:` + base64 for binary frames), to tick JSON lines.
/// Bad frames are reported, never fatal. Sequence numbers count ticks from 1; connection is 0. The adapter's
/// session lives as long as the input, as live: a snapshot entry already seen is not output twice, frames of
/// another source's series are counted (``foreignFrames``) and left out.
public struct FrameNormalizer {
    public let adapter: any VenueAdapter
    public let producer: String
    public private(set) var sequence: UInt64 = 0
    public private(set) var badFrames = 0
    private var events: [VenueEvent] = []
    private var session = AdapterSession()
    /// Frames dropped because they carried another source's series.
    public var foreignFrames: Int { session.foreignFrames }

    public init(adapter: any VenueAdapter, producer: String = "normalize") {
        self.adapter = adapter
        self.producer = producer
    }

    /// Decodes one input line; appends the tick lines to `output` and returns the problem, if any.
    public mutating func normalize(line: ArraySlice<UInt8>, receiveTime: Int64, output: inout [UInt8]) -> String? {
        let frame: WebSocketFrame
        do {
            frame = try WebSocketFrame(rawLine: line)
        } catch {
            badFrames += 1
            return error.description
        }
        events.removeAll(keepingCapacity: true)
        do {
            try adapter.decode(frame, receiveTime: receiveTime, session: &session, into: &events)
            for event in events {
                let found: Tick? = switch event {
                case .tick(let tick), .history(let tick): tick
                default: nil
                }
                guard var tick = found else { continue }
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
}

extension WebSocketFrame {
    /// One line of a raw-frame file (`producer normalize`/`replay`): text as is, binary as `b64:<base64>`.
    public init(rawLine line: ArraySlice<UInt8>) throws(VenueDecodeError) {
        if line.starts(with: Self.base64Prefix) {
            guard let data = Data(base64Encoded: Data(line.dropFirst(Self.base64Prefix.count))) else {
                throw VenueDecodeError(source: nil, reason: "line is not valid base64 after 'b64:'")
            }
            self.init(opcode: .binary, bytes: Array(data))
        } else {
            self.init(opcode: .text, bytes: Array(line))
        }
    }

    /// The frame as one line of a raw-frame file.
    public var rawLine: String {
        opcode == .text ? String(decoding: bytes, as: UTF8.self) : "b64:" + Data(bytes).base64EncodedString()
    }

    static let base64Prefix = Array("b64:".utf8)
}
