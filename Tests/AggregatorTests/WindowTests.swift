@testable import Aggregator
import Testing
import TickbusMarket

@Suite("15-minute windows (docs/aggregator.md)")
struct WindowTests {
    /// Chainlink every 2 s from the boundary to the next one, with a tick exactly on each boundary.
    func chainlinkWindow(skipping gap: ClosedRange<Double>? = nil) -> [Tick] {
        var ticks = [trade(.chainlink, "BTC-USD", at: -1, last: "100")]
        var offset = 0.0
        var price = 101.0
        while offset < 900 {
            if gap?.contains(offset) != true { ticks.append(trade(.chainlink, "BTC-USD", at: offset, last: String(price))) }
            price += offset < 450 ? 0.5 : -0.25
            offset += 2
        }
        ticks.append(trade(.chainlink, "BTC-USD", at: 900, last: "90"))
        ticks.append(trade(.chainlink, "BTC-USD", at: 903, last: "91"))
        return ticks
    }

    @Test("a tick exactly on the boundary opens the window and resolves the previous one")
    func boundaryTick() {
        let windows = aggregate(chainlinkWindow()).records.windows
        let previous = windows.filter { $0.windowStart == micros(-900) }
        #expect(previous.last!.isFinal && previous.last!.resolutionPrice == 101 && previous.last!.resolvedSide == .up)
        #expect(previous.last!.openDelayMilliseconds == 899_000 && !previous.last!.complete)

        let window = windows.filter { $0.windowStart == micros(0) }
        // One live record per second 0…899, then the final one when the tick at 900 s is final.
        #expect(window.count == 901)
        let live = window[0]
        #expect(live.open == 101 && live.openTime == micros(0) && live.openDelayMilliseconds == 0)
        #expect(live.secondsLeft == 899 && !live.isFinal && live.resolutionPrice == nil && live.resolvedSide == nil)
        let last = window[899]
        #expect(last.secondsLeft == 0 && last.current == 101 + 225 * 0.5 - 225 * 0.25 + 0.25 && !last.isFinal)
        let final = window[900]
        #expect(final.isFinal && final.resolutionPrice == 90 && final.resolutionTime == micros(900))
        #expect(final.resolvedSide == .down && final.side == .up)
        #expect(final.current == last.current && final.currentTime == micros(898))
        #expect(final.ticks == 450 && final.high == 101 + 224 * 0.5 + 0.5 && final.low == 101)
        #expect(final.change == final.current - 101)
        #expect(final.changeBasisPoints == (final.current / 101 - 1) * 10_000)
        #expect(final.complete && final.maxGapMilliseconds == 2_000)
        #expect(final.key == "chainlink|BTC-USD|\(micros(0))")

        let next = windows.filter { $0.windowStart == micros(900) }
        #expect(next.first!.open == 90 && next.first!.openDelayMilliseconds == 0)
    }

    @Test("a window with no tick for 6 s is incomplete; 4 s is within chainlink's 5 s")
    func gaps() {
        // Ticks at …, 98, then 104: a 6 s gap.
        let sixSeconds = aggregate(chainlinkWindow(skipping: 99...103)).records.windows.filter { $0.windowStart == micros(0) }
        #expect(!sixSeconds.last!.complete && sixSeconds.last!.maxGapMilliseconds == 6_000)
        // Live records turn incomplete as soon as the ongoing gap passes 5 s (second 103 ends 5 s after 98).
        #expect(sixSeconds.first { $0.asOf == micros(103) }!.complete)
        #expect(!sixSeconds.first { $0.asOf == micros(104) }!.complete)
        let fourSeconds = aggregate(chainlinkWindow(skipping: 99...101)).records.windows.filter { $0.windowStart == micros(0) }
        #expect(fourSeconds.last!.complete && fourSeconds.last!.maxGapMilliseconds == 4_000)
    }

    @Test("a venue's window: 3 s max gap, resolution from the first tick after the end")
    func venueWindow() {
        let ticks = [
            trade(.binance, "BTC-USDT", at: 0.5, last: "10"),
            trade(.binance, "BTC-USDT", at: 3.0, last: "12"),
            trade(.binance, "BTC-USDT", at: 899.9, last: "9"),
            trade(.binance, "BTC-USDT", at: 905, last: "11"),
        ]
        let windows = aggregate(ticks).records.windows.filter { $0.windowStart == micros(0) }
        let final = windows.last!
        #expect(final.isFinal && final.resolutionPrice == 11 && final.resolvedSide == .up)
        #expect(final.open == 10 && final.current == 9 && final.side == .down && final.ticks == 3)
        #expect(final.high == 12 && final.low == 9)
        #expect(!final.complete && final.maxGapMilliseconds == 896_900)
        #expect(windows.count == 901)
    }
}
