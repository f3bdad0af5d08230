@testable import Aggregator
import Testing
import TickbusMarket

@Suite("Spreads and lateness (docs/aggregator.md)")
struct SpreadAndLatenessTests {
    @Test("one spread per unordered pair and second, a < b by source id, native diff only for equal quotes")
    func pairOrdering() {
        let ticks = [
            quote(.coinbase, "USDT-USD", at: 3.0, bid: "1", ask: "1"),
            trade(.okx, "BTC-USDT", at: 3.1, last: "100010"),
            trade(.coinbase, "BTC-USD", at: 3.2, last: "100000"),
            trade(.binance, "BTC-USDT", at: 3.3, last: "100020"),
        ]
        let spreads = aggregate(ticks).records.spreads.filter { $0.second == micros(3) && $0.base == "BTC" }
        #expect(spreads.map { "\($0.a)-\($0.b)" }.sorted() == ["binance-coinbase", "binance-okx", "coinbase-okx"])
        let binanceOKX = spreads.first { $0.a == .binance && $0.b == .okx }!
        #expect(binanceOKX.diff == 10 && binanceOKX.diffUSD == 10)
        #expect(binanceOKX.basisPoints == (100_020.0 / 100_010.0 - 1) * 10_000)
        let binanceCoinbase = spreads.first { $0.a == .binance && $0.b == .coinbase }!
        #expect(binanceCoinbase.diff == nil)
        #expect(binanceCoinbase.diffUSD == 100_020 - 100_000)
        #expect(binanceCoinbase.aAgeMilliseconds == 700 && binanceCoinbase.bAgeMilliseconds == 800)
        #expect(!binanceCoinbase.fxAssumed)
    }

    @Test("a tick for a second already final is late and ignored; within the lateness it counts")
    func lateTicks() {
        let ticks = [
            trade(.binance, "BTC-USDT", at: 100.5, last: "1"),
            trade(.binance, "BTC-USDT", at: 104.0, last: "2"),  // clock 104: seconds ≤ 101 final for venues
            trade(.binance, "BTC-USDT", at: 101.9, last: "3"),  // late
            trade(.binance, "BTC-USDT", at: 102.1, last: "4"),  // second 102 is final at 105: in time
            trade(.chainlink, "BTC-USD", at: 99.5, last: "5"),  // chainlink's 99 is final at 105: in time
            trade(.binanceRTDS, "BTC-USDT", at: 99.6, last: "6"),  // the RTDS Binance relay is an oracle too: in time
            trade(.chainlinkTWAP, "BTC-USD", at: 99.7, last: "7"),  // so are the TWAP and Pyth
            trade(.pyth, "BTC-USD", at: 99.8, last: "8"),
        ]
        let (records, counters) = aggregate(ticks)
        #expect(counters.late == 1 && counters.lateBySource[SourceID.binance.index] == 1)
        #expect(counters.lateBySource[SourceID.binanceRTDS.index] == 0)
        #expect(counters.accepted == 7)
        #expect(records.snapshot(.chainlinkTWAP, "BTC-USD", second: 99)?.price == 7)
        #expect(records.snapshot(.pyth, "BTC-USD", second: 99)?.price == 8)
        #expect(records.snapshot(.binance, "BTC-USDT", second: 101)!.price == 1)
        #expect(records.snapshot(.binance, "BTC-USDT", second: 102)!.price == 4)
        #expect(records.snapshot(.chainlink, "BTC-USD", second: 99)!.price == 5)
        #expect(records.snapshot(.binanceRTDS, "BTC-USDT", second: 99)?.price == 6)
    }

    @Test("a late first tick of a new stream does not create it")
    func lateNewStream() {
        let ticks = [
            trade(.binance, "BTC-USDT", at: 110, last: "1"),
            trade(.okx, "BTC-USDT", at: 100, last: "2"),
        ]
        let (records, counters) = aggregate(ticks)
        #expect(counters.late == 1)
        #expect(records.snapshots(.okx, "BTC-USDT").isEmpty)
    }

    @Test("ticks without a price are ignored; malformed lines are invalid, never fatal")
    func unpricedAndInvalid() {
        var engine = AggregationEngine()
        let unpriced = Tick(source: .binance, instrument: try! Instrument("BTC-USDT"), venueSymbol: "btcusdt", kind: .quote,
                            bid: DecimalText("1"), venueTime: micros(1), receiveTime: micros(1))
        #expect(engine.ingest(unpriced) == .unpriced)
        for bad in [#"{"v":1,"source":"nowhere","instrument":"BTC-USDT","ts_recv":1}"#, "{", #"{"v":2}"#,
                    #"{"v":1,"source":"okx","instrument":"btc_usdt","last":1,"ts_recv":1}"#,
                    #"{"v":1,"source":"okx","instrument":"BTC-USDT","last":1.2.3,"ts_recv":1}"#] {
            let outcome = Array(bad.utf8).withUnsafeBufferPointer { engine.ingest(line: $0) }
            guard case .invalid = outcome else { Issue.record("accepted \(bad)"); continue }
        }
        #expect(engine.counters.invalid == 5 && engine.counters.accepted == 0)
    }
}

@Suite("Caller-owned clock (run while catching up)")
struct CallerClockTests {
    @Test("ticks far ahead of the clock wait in a grown ring and come out complete once the clock arrives")
    func pendingRingGrows() {
        var engine = AggregationEngine()
        // 100 s of one partition read before the clock moves (another partition is still behind).
        for offset in stride(from: 0.5, to: 100, by: 1.0) {
            let line = TickCodec.encode(trade(.binance, "BTC-USDT", at: offset, last: String(Int(offset) + 1)))
            #expect(line.withUnsafeBufferPointer { engine.ingest(line: $0, movesClock: false) } == .accepted)
        }
        // The slow partition: a chainlink tick from second 3 is not late, the clock never passed it.
        let slow = TickCodec.encode(trade(.chainlink, "BTC-USD", at: 3.2, last: "7"))
        #expect(slow.withUnsafeBufferPointer { engine.ingest(line: $0, movesClock: false) } == .accepted)
        #expect(engine.takeRecords().isEmpty)
        engine.advanceClock(to: micros(99.5))
        engine.finish()
        let records = engine.takeRecords()
        #expect(records.snapshots(.binance, "BTC-USDT").map(\.price) == (1...100).map(Double.init))
        #expect(records.snapshot(.chainlink, "BTC-USD", second: 3)?.price == 7)
        #expect(engine.counters.late == 0)
    }
}
