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
}
