import Foundation
import NIOCore
import Producers
public import TickbusMarket
import HummingbirdWebSocket
import NIOWebSocket

/// The kinds of bad frame the simulator can inject. Each is built from a real data frame of the source so
/// that the adapter gets as far as it would on a plausible corruption, and each must end in `dlq.producer`.
public enum MalformedKind: String, Sendable, CaseIterable {
    /// Well-formed, with a field of the wrong type (a price that is not a number, a time that is a word).
    case types
    /// A data frame cut off after two thirds of its bytes.
    case truncated
    /// A data frame with invalid UTF-8 bytes in the middle of a field.
    case utf8
    /// 10 MiB: an unterminated JSON string (a gzip of one for HTX, junk bytes for MEXC's protobuf).
    case oversized
    /// HTX only: a binary frame with a gzip header and a corrupt body.
    case gzip
    /// MEXC only: a binary frame that is not a protobuf push (a varint that never ends).
    case protobuf

    /// Size of an `oversized` frame.
    public static let oversizedBytes = 10 << 20

    /// The kinds that make sense for a source's framing.
    public static func applicable(to source: SourceID) -> [MalformedKind] {
        switch source {
        case .htx: [.types, .truncated, .utf8, .oversized, .gzip]
        case .mexc: [.types, .truncated, .utf8, .oversized, .protobuf]
        default: [.types, .truncated, .utf8, .oversized]
        }
    }
}

/// A frame as it goes on the wire: opcode and bytes (not necessarily valid UTF-8 for text).
public struct WireFrame: Sendable {
    public var binary: Bool
    public var bytes: [UInt8]
}

extension SimulatedProtocol {
    /// A bad frame of this kind, framed the way the source frames data. `nil`: not applicable to the source.
    public func malformed(_ kind: MalformedKind, mid: Int64 = 6_500_000) -> WireFrame? {
        guard MalformedKind.applicable(to: source).contains(kind) else { return nil }
        let (data, quoted) = dataFrame(mid: mid, index: 0)
        switch (kind, framing) {
        case (.types, _):
            return framed(malformedFrame())
        case (.truncated, .protobuf):
            let bytes = Array(Data(base64Encoded: data) ?? Data())
            return WireFrame(binary: true, bytes: Array(bytes.prefix(bytes.count * 2 / 3)))
        case (.truncated, _):
            let bytes = Array(data.utf8)
            return framedBytes(Array(bytes.prefix(bytes.count * 2 / 3)))
        case (.utf8, .protobuf):
            // The symbol's bytes replaced in place (same length, so the protobuf lengths stay right).
            var bytes = Array(Data(base64Encoded: data) ?? Data())
            let symbol = Array("BTCUSDT".utf8)
            if let start = Self.firstIndex(of: symbol, in: bytes) { bytes.replaceSubrange(start + 3 ..< start + 5, with: [0xFF, 0xFE]) }
            return WireFrame(binary: true, bytes: bytes)
        case (.utf8, _):
            // Two digits of the quoted price replaced by bytes that are never UTF-8.
            var bytes = Array(data.utf8)
            let price = Array(quoted.utf8)
            if let start = Self.firstIndex(of: price, in: bytes) { bytes.replaceSubrange(start + 1 ..< start + 3, with: [0xFF, 0xFE]) }
            return framedBytes(bytes)
        case (.oversized, .protobuf):
            return WireFrame(binary: true, bytes: [UInt8](repeating: 0xFF, count: MalformedKind.oversizedBytes))
        case (.oversized, _):
            let prefix = Array(#"{"pad":""#.utf8)
            return framedBytes(prefix + [UInt8](repeating: UInt8(ascii: "9"), count: MalformedKind.oversizedBytes - prefix.count))
        case (.gzip, _):
            return WireFrame(binary: true, bytes: [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF] + Array("not deflate data".utf8))
        case (.protobuf, _):
            return WireFrame(binary: true, bytes: [0x0A] + [UInt8](repeating: 0xFF, count: 11))
        }
    }

    /// `text` as this source frames it: MEXC's data is base64 of a protobuf here (control messages are JSON text).
    public func framed(_ text: String) -> WireFrame {
        if framing == .protobuf, !text.hasPrefix("{") {
            return WireFrame(binary: true, bytes: Array(Data(base64Encoded: text) ?? Data()))
        }
        return framedBytes(Array(text.utf8))
    }

    /// JSON bytes (possibly invalid UTF-8) framed as this source frames JSON.
    private func framedBytes(_ bytes: [UInt8]) -> WireFrame {
        switch framing {
        case .text, .protobuf: WireFrame(binary: false, bytes: bytes)
        case .binary: WireFrame(binary: true, bytes: bytes)
        case .gzip: WireFrame(binary: true, bytes: HTXAdapter.gzip(bytes))
        }
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0 ..< $0 + needle.count].elementsEqual(needle) }
    }
}

extension WireFrame {
    /// The frame for the WebSocket writer; text bytes are sent as they are, valid UTF-8 or not.
    var outbound: WebSocketOutboundWriter.OutboundFrame {
        if binary { return .binary(ByteBuffer(bytes: bytes)) }
        if let text = String(validating: bytes, as: UTF8.self) { return .text(text) }
        return .custom(NIOWebSocket.WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: bytes)))
    }
}
