@testable import Aggregator
import Testing
import TickbusMarket

@Suite("Snapshots (docs/aggregator.md)")
struct SnapshotTests {
    @Test("per-second OHLC, carry-forward with age, and the 60 s carry limit")
    func carryForward() {
        let ticks = [
            trade(.binance, "BTC-USDT", at: 100.2, last: "10"),
            trade(.binance, "BTC-USDT", at: 100.7, last: "12"),
            trade(.binance, "BTC-USDT", at: 100.4, last: "9"),
            trade(.binance, "BTC-USDT", at: 101.5, last: "11"),
            trade(.binance, "BTC-USDT", at: 200.25, last: "13"),
        ]
        let snapshots = aggregate(ticks).records.snapshots(.binance, "BTC-USDT")
        // 100…160 carried (the last tick at 101.5 is 59.5 s old at the end of second 160, 60.5 s at 161), then 200.
        #expect(snapshots.map { $0.second / 1_000_000 - base } == Array(100...160) + [200])

        let first = snapshots[0]
        #expect(first.fresh && first.ticks == 3)
        #expect(first.open == 10 && first.high == 12 && first.low == 9 && first.close == 12 && first.price == 12)
        #expect(first.ageMilliseconds == 300)
        let carried = snapshots[1...].first { $0.second == micros(102) }!
        #expect(!carried.fresh && carried.ticks == 0 && carried.price == 11)
        #expect(carried.open == nil && carried.high == nil && carried.close == nil)
        #expect(carried.ageMilliseconds == 1_500)
        #expect(snapshots[snapshots.count - 2].ageMilliseconds == 59_500)
        // No USDT leg configured yet: USDT is assumed at 1 USD and says so.
        #expect(first.priceUSD == 12 && first.fx == 1 && first.fxAssumed)
    }

    @Test("bid and ask come from the last tick; the price is their mid")
    func midPrice() {
        let ticks = [
            quote(.okx, "BTC-USDT", at: 5.1, bid: "100.0", ask: "101.0"),
            quote(.okx, "BTC-USDT", at: 5.9, bid: "102.5", ask: "103.5"),
        ]
        let snapshot = aggregate(ticks).records.snapshot(.okx, "BTC-USDT", second: 5)!
        #expect(snapshot.bid == 102.5 && snapshot.ask == 103.5 && snapshot.price == 103)
        #expect(snapshot.open == 100.5 && snapshot.close == 103)
    }

    @Test("KRW is valued through USDT-KRW and USDT-USD")
    func krwThroughUSDT() {
        let ticks = [
            quote(.coinbase, "USDT-USD", at: 10.1, bid: "1.0009", ask: "1.0011"),
            quote(.upbit, "USDT-KRW", at: 10.2, bid: "1399", ask: "1401"),
            quote(.upbit, "BTC-KRW", at: 10.3, bid: "139990000", ask: "140010000"),
        ]
        let snapshot = aggregate(ticks).records.snapshot(.upbit, "BTC-KRW", second: 10)!
        let krw = 1.001 / 1400.0
        #expect(snapshot.fx == krw)
        #expect(snapshot.priceUSD == 140_000_000 * krw)
        #expect(abs(snapshot.priceUSD! - 100_100) < 1e-6)
        #expect(!snapshot.fxAssumed)
    }

    @Test("without a USDT-USD price, USDT falls back to 1 (assumed), and KRW follows")
    func usdtFallback() {
        let ticks = [
            quote(.upbit, "USDT-KRW", at: 10.2, bid: "1400", ask: "1400"),
            quote(.upbit, "BTC-KRW", at: 10.3, bid: "140000000", ask: "140000000"),
            trade(.binance, "BTC-USDT", at: 10.4, last: "100001"),
        ]
        let records = aggregate(ticks).records
        let upbit = records.snapshot(.upbit, "BTC-KRW", second: 10)!
        #expect(upbit.priceUSD == 100_000 && upbit.fxAssumed)
        let binance = records.snapshot(.binance, "BTC-USDT", second: 10)!
        #expect(binance.priceUSD == 100_001 && binance.fx == 1 && binance.fxAssumed)
    }

    @Test("a KRW instrument without the USDT-KRW leg has no USD price and no spreads")
    func missingKRWLeg() {
        let ticks = [
            quote(.upbit, "BTC-KRW", at: 10.3, bid: "140000000", ask: "140000000"),
            trade(.binance, "BTC-USDT", at: 10.4, last: "100001"),
        ]
        let records = aggregate(ticks).records
        let upbit = records.snapshot(.upbit, "BTC-KRW", second: 10)!
        #expect(upbit.priceUSD == nil && upbit.fx == nil && upbit.price == 140_000_000)
        #expect(records.spreads.isEmpty)
    }
}
