import Foundation
import Testing
import TickbusTestSupport

/// The `aggregator` executable as users run it: `replay` turns tick lines into records with hand-checked
/// values, reports bad lines on stderr without stopping, and bad settings exit 2 naming the setting.
@Suite("aggregator command line")
struct AggregatorCommandTests {
    let binary = repositoryRoot + "/.build/debug/aggregator"

    func run(_ arguments: [String], input: String = "") throws -> (status: Int32, stdout: String, stderr: String) {
        try runWithInput(binary, arguments, input: input)
    }

    @Test func replayComputesHandCheckedRecords() throws {
        let input = """
            {"v":1,"source":"binance","instrument":"BTC-USDT","venue_symbol":"btcusdt","kind":"trade","bid":null,"bid_size":null,"ask":null,"ask_size":null,"last":100.5,"ts_venue":1800000010250000,"ts_recv":1800000010260000,"conn":1,"seq":1,"producer":"p"}
            {"v":1,"source":"coinbase","instrument":"BTC-USD","venue_symbol":"BTC-USD","kind":"quote","bid":99.0,"bid_size":1,"ask":100.0,"ask_size":2,"last":null,"ts_venue":1800000010500000,"ts_recv":1800000010510000,"conn":1,"seq":1,"producer":"q"}
            not json
            {"v":1,"source":"binance","instrument":"BTC-USDT","venue_symbol":"btcusdt","kind":"trade","bid":null,"bid_size":null,"ask":null,"ask_size":null,"last":101,"ts_venue":1800000010750000,"ts_recv":1800000010760000,"conn":1,"seq":2,"producer":"p"}

            """
        let result = try run(["replay"], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("line 3: invalid tick"))
        #expect(result.stderr.contains("ticks 3 accepted, 0 late, 0 unpriced, 1 invalid"))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Second 10 of each source, its window record, and the one spread (binance < coinbase).
        #expect(lines.count == 5)
        #expect(lines.contains(#"{"v":1,"type":"snapshot","source":"binance","instrument":"BTC-USDT","second":1800000010000000,"price":101.0,"bid":null,"ask":null,"fresh":true,"ticks":2,"open":100.5,"high":101.0,"low":100.5,"close":101.0,"age_ms":250,"price_usd":101.0,"fx":1.0,"fx_assumed":true}"#))
        #expect(lines.contains(#"{"v":1,"type":"snapshot","source":"coinbase","instrument":"BTC-USD","second":1800000010000000,"price":99.5,"bid":99.0,"ask":100.0,"fresh":true,"ticks":1,"open":99.5,"high":99.5,"low":99.5,"close":99.5,"age_ms":500,"price_usd":99.5,"fx":1.0,"fx_assumed":false}"#))
        // bps = (101 / 99.5 − 1) · 10 000 = 150.7537688442211 exactly; in doubles 150.75376884422064.
        let spread = try #require(lines.first { $0.contains(#""type":"spread""#) })
        #expect(spread.hasPrefix(#"{"v":1,"type":"spread","second":1800000010000000,"base":"BTC","a":"binance","b":"coinbase","a_instrument":"BTC-USDT","b_instrument":"BTC-USD","a_price_usd":101.0,"b_price_usd":99.5,"diff_usd":1.5,"bps":150.753768844220"#))
        #expect(spread.hasSuffix(#","diff":null,"a_age_ms":250,"b_age_ms":500,"fx_assumed":true}"#))
        let window = try #require(lines.first { $0.contains(#""type":"window","source":"binance""#) })
        #expect(window.contains(#""window_start":1800000000000000,"open":100.5,"open_ts":1800000010250000,"open_delay_ms":10250,"current":101.0"#))
        #expect(window.contains(#""side":"up","seconds_left":889,"resolution_price":null,"resolution_ts":null,"resolved_side":null,"final":false,"complete":false,"max_gap_ms":10250"#))
    }

    @Test(arguments: [
        (["replay", "--venue-lateness", "soon"], "--venue-lateness"),
        (["replay", "--oracle-lateness", "120"], "oracle lateness"),
        (["replay", "--venue-max-gap", "0.5"], "venue max gap"),
        (["replay", "--fx-leg", "nowhere:USDT-USD"], "fx leg"),
        (["run", "--metrics-port", "70000"], "--metrics-port"),
        (["run", "--brokers", "localhost"], "--brokers"),
    ])
    func badSettingsExitTwoNamingTheSetting(_ arguments: [String], _ setting: String) throws {
        let result = try run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(setting), "\(result.stderr)")
    }
}
