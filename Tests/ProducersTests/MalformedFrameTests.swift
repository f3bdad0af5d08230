import Testing
@testable import Producers
import TickbusMarket
import VenueSim

/// Every kind of bad frame the simulator injects (and the fault drills count on) is a decode error of the
/// source's adapter: it must end in `dlq.producer`, never be taken for data and never be skipped in silence.
@Suite("Simulated malformed frames")
struct MalformedFrameTests {
    /// What the producer's reader hands the adapter: text is made valid UTF-8 by the WebSocket layer
    /// (invalid bytes become U+FFFD), binary is untouched.
    func received(_ wire: WireFrame) -> WebSocketFrame {
        wire.binary ? WebSocketFrame(opcode: .binary, bytes: wire.bytes)
            : WebSocketFrame(opcode: .text, bytes: Array(String(decoding: wire.bytes, as: UTF8.self).utf8))
    }

    @Test(arguments: SimulatedProtocol.supported)
    func everyKindIsADecodeErrorWhileTheGoodFrameDecodes(source: SourceID) throws {
        let simulated = try #require(SimulatedProtocol(source: source))
        let adapter = try Adapters.makeForRecordedFrames(source, instruments: source.defaultInstruments)
        // The frame the corruptions start from is data.
        let good = received(simulated.framed(simulated.dataFrame(mid: 6_500_000, index: 0).frame))
        let decoded = try adapter.decode(good, receiveTime: 1)
        #expect(decoded.contains { if case .tick = $0 { true } else { false } }, "\(source): the good frame gave \(decoded)")
        for kind in MalformedKind.allCases {
            guard let wire = simulated.malformed(kind) else {
                #expect(!MalformedKind.applicable(to: source).contains(kind))
                continue
            }
            #expect(throws: VenueDecodeError.self, "\(source) \(kind)") { try adapter.decode(received(wire), receiveTime: 1) }
            if kind == .oversized { #expect(wire.bytes.count >= (source == .htx ? 1 : MalformedKind.oversizedBytes)) }
            if kind == .utf8, !wire.binary || source == .upbit { #expect(String(validating: wire.bytes, as: UTF8.self) == nil) }
        }
        #expect(simulated.malformed(.gzip) == nil || source == .htx)
        #expect(simulated.malformed(.protobuf) == nil || source == .mexc)
    }
}
