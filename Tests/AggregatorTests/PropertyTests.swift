@testable import Aggregator
import Testing
import TickbusMarket

/// Deterministic pseudo-random numbers (SplitMix64), so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Order and batching independence")
struct PropertyTests {
    /// 12 markets (both oracle sources among them) over ~40 s with bursts and silences (carry-forward, a gap,
    /// a window boundary at 0).
    static func stream(seed: UInt64) -> [Tick] {
        var random = SeededGenerator(state: seed)
        let markets: [(SourceID, String, Double)] = [
            (.chainlink, "BTC-USD", 100_000), (.binance, "BTC-USDT", 100_010), (.coinbase, "BTC-USD", 100_000),
            (.coinbase, "USDT-USD", 1.0002), (.upbit, "BTC-KRW", 140_000_000), (.upbit, "USDT-KRW", 1400),
            (.okx, "BTC-USDT", 100_005), (.bybit, "BTC-USDT", 100_003), (.gate, "ETH-USDT", 3_000),
            (.kucoin, "BTC-USDT", 99_990), (.htx, "BTC-USDT", 100_020), (.binanceRTDS, "BTC-USDT", 100_011),
        ]
        var ticks: [Tick] = []
        var sequence: UInt64 = 0
        for (source, instrument, start) in markets {
            var price = start
            var offset = -20.0 + Double.random(in: 0..<1, using: &random)
            while offset < 20 {
                price *= 1 + Double.random(in: -0.0005...0.0005, using: &random)
                sequence += 1
                let text = String(format: "%.4f", price)
                ticks.append(Bool.random(using: &random)
                    ? trade(source, instrument, at: offset, last: text, sequence: sequence)
                    : quote(source, instrument, at: offset, bid: text, ask: String(format: "%.4f", price * 1.0001), sequence: sequence))
                // Mostly dense, sometimes a few seconds of silence.
                offset += Double.random(in: 0..<1, using: &random) < 0.05 ? Double.random(in: 2...7, using: &random)
                    : Double(Int.random(in: 1...400_000, using: &random)) / 1_000_000
            }
        }
        // A duplicate event time with different data: ties are broken by data, not arrival.
        ticks.append(trade(.okx, "BTC-USDT", at: 5.5, last: "100100", sequence: 900_001))
        ticks.append(trade(.okx, "BTC-USDT", at: 5.5, last: "100200", sequence: 900_002))
        return ticks
    }

    @Test("any reordering within each source's lateness gives the same records in the same order", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func reorderingWithinLateness(seed: UInt64) {
        let ticks = Self.stream(seed: seed)
        let sorted = ticks.sorted { ($0.eventTime, $0.sequence) < ($1.eventTime, $1.sequence) }
        let reference = aggregate(sorted)
        #expect(reference.counters.late == 0)
        #expect(reference.records.snapshots.count > 300 && reference.records.spreads.count > 1000 && reference.records.windows.count > 300)

        var random = SeededGenerator(state: seed &* 7919)
        // Arrival = event time + a delay up to the source's lateness: never more disorder than allowed.
        let shuffled = ticks.map { tick -> (Int64, Tick) in
            let lateness: Int64 = tick.source.isOracle ? 5_000_000 : 2_000_000
            return (tick.eventTime + Int64.random(in: 0...lateness, using: &random), tick)
        }.sorted { $0.0 < $1.0 }.map(\.1)
        #expect(shuffled != sorted)
        let reordered = aggregate(shuffled)
        #expect(reordered.counters.late == 0)
        #expect(reordered.records == reference.records)
    }

    @Test("disorder beyond the lateness is counted late")
    func beyondLateness() {
        var ticks = Self.stream(seed: 9).sorted { $0.eventTime < $1.eventTime }
        let moved = ticks.remove(at: 200)
        ticks.insert(moved, at: ticks.firstIndex { $0.eventTime > moved.eventTime + 8_000_000 }!)
        #expect(aggregate(ticks).counters.late == 1)
    }

    @Test("taking records between arbitrary batches does not change them")
    func batching() {
        let ticks = Self.stream(seed: 11).sorted { $0.eventTime < $1.eventTime }
        let whole = aggregate(ticks).records
        var random = SeededGenerator(state: 99)
        var engine = AggregationEngine()
        var pieces: [AggregateRecord] = []
        for tick in ticks {
            _ = TickCodec.encode(tick).withUnsafeBufferPointer { engine.ingest(line: $0) }
            if Int.random(in: 0..<50, using: &random) == 0 { pieces += engine.takeRecords() }
        }
        engine.finish()
        pieces += engine.takeRecords()
        #expect(pieces == whole)
    }

    @Test("the scanner reads what the codec wrote, in any field order")
    func scannerMatchesCodec() throws {
        for tick in Self.stream(seed: 3).prefix(500) {
            let bytes = TickCodec.encode(tick)
            let scanned = try bytes.withUnsafeBufferPointer { try TickScanner.scan($0) }
            #expect(scanned.source == tick.source && scanned.eventTime == tick.eventTime && scanned.receiveTime == tick.receiveTime)
            #expect(scanned.price == tick.price && Int64(tick.sequence) == scanned.sequence)
            #expect(String(decoding: bytes[scanned.instrumentRange], as: UTF8.self) == tick.instrument.description)
        }
        let reordered = #"{ "ts_recv": 7, "last": 1e-7, "instrument": "ETH-USDT", "extra": [1], "v": 1, "source": "gate" }"#
        #expect(throws: TickScanError.self) { try Array(reordered.utf8).withUnsafeBufferPointer { try TickScanner.scan($0) } }
        let flat = #"{ "ts_recv": 7, "last": 1e-7, "instrument": "ETH-USDT", "note": "a\"b", "ok": true, "v": 1, "source": "gate" }"#
        let scanned = try Array(flat.utf8).withUnsafeBufferPointer { try TickScanner.scan($0) }
        #expect(scanned.last == 1e-7 && scanned.venueTime == nil && scanned.eventTime == 7 && scanned.source == .gate)
    }
}
