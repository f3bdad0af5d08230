import Foundation
import Testing
import TickbusTestSupport

/// The `producer` executable as users run it: bad settings exit 2 naming the setting; `normalize` turns
/// frames into tick lines and reports bad frames on stderr without stopping.
@Suite("producer command line")
struct ProducerCommandTests {
    let binary = repositoryRoot + "/.build/debug/producer"

    func run(_ arguments: [String], input: String = "") throws -> (status: Int32, stdout: String, stderr: String) {
        try runWithInput(binary, arguments, input: input)
    }

    @Test(arguments: [
        (["normalize", "--source", "nyse"], "--source"),
        (["normalize", "--source", "binance", "--instrument", "BTCUSDT"], "--instrument"),
        (["replay", "--source", "binance", "--file", "/x", "--partitions", "0"], "--partitions"),
        (["run", "--source", "okx", "--endpoint", "http://x"], "--endpoint"),
        (["run", "--source", "okx", "--metrics-port", "70000"], "--metrics-port"),
        (["normalize"], "--source"),
        // The Polymarket relays: a relay that cannot work names what to set, never a credential flag.
        (["run", "--source", "pyth"], "TICKBUS_POLYMARKET_API_KEY"),
        (["run", "--source", "chainlink_twap", "--relay", "polybolt"], "TICKBUS_POLYMARKET_API_KEY"),
        (["run", "--source", "pyth", "--relay", "rtds"], "--relay (TICKBUS_RELAY): pyth is served by PolyBolt only"),
        (["run", "--source", "chainlink_twap", "--relay", "carrier-pigeon"], "--relay (TICKBUS_RELAY): expected polybolt or rtds"),
        (["normalize", "--source", "chainlink_twap", "--twap-window", "45"], "--twap-window"),
    ])
    func badSettingsExitTwoNamingTheSetting(_ arguments: [String], _ setting: String) throws {
        let result = try run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(setting), "\(result.stderr)")
    }

    @Test func normalizeWritesTicksAndReportsBadLines() throws {
        let input = """
            {"u":1,"s":"BTCUSDT","b":"65000.10","B":"1","a":"65000.20","A":"2"}
            {"u":2,
            {"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"65000.15","q":"1","T":1700000000000,"m":false,"M":true}

            """
        let result = try run(["normalize", "--source", "binance"], input: input)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains(#""bid":65000.10"#) == true)
        #expect(lines.last?.contains(#""last":65000.15,"ts_venue":1700000000000000"#) == true)
        #expect(result.stderr.contains("line 2:"))
    }

    @Test func normalizeDecodesBothRelaysOfTheOracleSources() throws {
        let pyth = try run(["normalize", "--source", "pyth"], input: """
            {"v":1,"channel":"price.crypto","seq":1,"ts":1788973002100,"payload":{"symbol":"btcusd","value":64100.5,"full_accuracy_value":"64100.50000000","timestamp":1788973002000,"source":"pyth"}}
            {"v":1,"channel":"price.crypto","seq":2,"ts":1788973003100,"payload":{"symbol":"btcusd","value":64101,"full_accuracy_value":"64101.00000000","timestamp":1788973003000,"source":"chainlink"}}

            """)
        #expect(pyth.status == 0)
        let pythLines = pyth.stdout.split(separator: "\n")
        #expect(pythLines.count == 1, "the Chainlink frame is not Pyth's: dropped")
        #expect(pythLines.first?.contains(#""source":"pyth","instrument":"BTC-USD","venue_symbol":"btcusd","kind":"oracle""#) == true)
        #expect(pythLines.first?.contains(#""last":64100.5,"exact":"64100.50000000","ts_venue":1788973002000000"#) == true)
        let spot = try run(["normalize", "--source", "chainlink"], input: """
            {"topic":"crypto_prices_chainlink","type":"update","timestamp":1785150686566,"payload":{"symbol":"btc/usd","timestamp":1785150685000,"value":65245.09165178642,"full_accuracy_value":"65245091651786417500000"}}
            {"v":1,"channel":"price.crypto","seq":1,"ts":1788973002100,"payload":{"symbol":"btcusd","value":64100.5,"full_accuracy_value":"64100.50000000","timestamp":1788973002000,"source":"chainlink"}}

            """)
        #expect(spot.status == 0, "\(spot.stderr)")
        let spotLines = spot.stdout.split(separator: "\n")
        #expect(spotLines.count == 2)
        #expect(spotLines.first?.contains(#""exact":"65245.0916517864175","ts_venue":1785150685000000"#) == true)
        #expect(spotLines.last?.contains(#""venue_symbol":"btcusd""#) == true)
    }
}
