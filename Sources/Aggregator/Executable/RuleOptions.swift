import Aggregator
import ArgumentParser
import Foundation

/// The §4 rules that are settings, by flag or environment; a bad value exits 2 naming the setting.
struct RuleOptions: ParsableArguments {
    @Option(help: "Lateness of venue sources in seconds (env TICKBUS_VENUE_LATENESS; default 2).")
    var venueLateness: String?

    @Option(help: "Lateness of the oracle sources (chainlink_twap, chainlink, pyth, binance_rtds) in seconds (env TICKBUS_ORACLE_LATENESS; default 5).")
    var oracleLateness: String?

    @Option(help: "Max gap of a complete window for venues, seconds (env TICKBUS_VENUE_MAX_GAP; default 3).")
    var venueMaxGap: String?

    @Option(help: "Max gap of a complete window for the oracle sources, seconds (env TICKBUS_ORACLE_MAX_GAP; default 5).")
    var oracleMaxGap: String?

    @Option(help: "Carry a source forward for at most this many seconds (env TICKBUS_CARRY_LIMIT; default 60).")
    var carryLimit: String?

    @Option(name: .customLong("fx-leg"), help: "FX leg source:BASE-QUOTE, repeatable (env TICKBUS_FX_LEGS, comma-separated; default coinbase:USDT-USD, upbit:USDT-KRW).")
    var fxLegs: [String] = []

    func configuration() throws -> AggregatorConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = AggregatorConfiguration()
        func seconds(_ flag: String, _ value: String?, _ variable: String) throws -> Duration? {
            guard let text = value ?? environment[variable] else { return nil }
            guard let number = Double(text), number.isFinite, number >= 0 else {
                throw ValidationError("--\(flag) (\(variable)): expected a number of seconds, got '\(text)'")
            }
            return .microseconds(Int64((number * 1_000_000).rounded()))
        }
        if let value = try seconds("venue-lateness", venueLateness, "TICKBUS_VENUE_LATENESS") { configuration.venueLateness = value }
        if let value = try seconds("oracle-lateness", oracleLateness, "TICKBUS_ORACLE_LATENESS") { configuration.oracleLateness = value }
        if let value = try seconds("venue-max-gap", venueMaxGap, "TICKBUS_VENUE_MAX_GAP") { configuration.venueMaxGap = value }
        if let value = try seconds("oracle-max-gap", oracleMaxGap, "TICKBUS_ORACLE_MAX_GAP") { configuration.oracleMaxGap = value }
        if let value = try seconds("carry-limit", carryLimit, "TICKBUS_CARRY_LIMIT") { configuration.carryLimit = value }
        var legTexts = fxLegs
        if legTexts.isEmpty, let fromEnvironment = environment["TICKBUS_FX_LEGS"] {
            legTexts = fromEnvironment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        do {
            if !legTexts.isEmpty { configuration.fxLegs = try legTexts.map { try FXLeg(parsing: $0) } }
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }
}
