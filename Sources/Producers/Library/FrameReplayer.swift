import Foundation
public import TickbusKafka
import TickbusMarket

/// `producer replay`: a raw-frame file (one frame per line) decoded and published as fast as the broker
/// takes it; undecodable lines go to the dead-letter topic. Receive time is the replay's wall clock.
public struct FrameReplayer {
    public struct Summary: Sendable, Equatable {
        public var frames = 0
        public var ticks: UInt64 = 0
        public var deadLetters = 0
        public var seconds = 0.0
    }

    public let adapter: any VenueAdapter
    /// Frames decoded between two sends. Default: 1 000.
    public var batchFrames = 1000

    public init(adapter: any VenueAdapter) {
        self.adapter = adapter
    }

    public func replay(fileDescriptor: Int32, publisher: inout TickPublisher, producer: KafkaProducer) async throws -> Summary {
        var summary = Summary()
        let start = ContinuousClock.now
        var pending: [ArraySlice<UInt8>] = []
        func drain(_ publisher: inout TickPublisher) async throws {
            let now = WallClock.microseconds()
            for line in pending {
                summary.frames += 1
                do {
                    let frame = try WebSocketFrame(rawLine: line)
                    do {
                        publisher.add(try adapter.decode(frame, receiveTime: now))
                    } catch {
                        publisher.addDeadLetter(frame, reason: error.description, receiveTime: now)
                    }
                } catch {
                    publisher.addDeadLetter(WebSocketFrame(opcode: .text, bytes: Array(line)), reason: error.description, receiveTime: now)
                }
            }
            pending.removeAll(keepingCapacity: true)
            try await publisher.flush()
        }
        // Streams: at most one batch of lines and one read chunk in memory.
        var reader = LineReader(fileDescriptor: fileDescriptor)
        while let line = try reader.nextLine() {
            guard !line.isEmpty else { continue }
            pending.append(Array(line)[...])
            if pending.count >= batchFrames { try await drain(&publisher) }
        }
        try await drain(&publisher)
        let left = try await producer.flush(timeout: .seconds(60))
        guard left == 0 else { throw KafkaError(code: .messageTimedOut, reason: "\(left) messages still undelivered after 60 s") }
        summary.ticks = publisher.sequence
        summary.deadLetters = publisher.deadLetters
        let elapsed = ContinuousClock.now - start
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }
}
