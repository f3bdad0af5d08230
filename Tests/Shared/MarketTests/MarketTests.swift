import Testing
@testable import TickbusMarket

@Suite("Instrument")
struct InstrumentTests {
    @Test func parsesCanonicalFormCaseInsensitively() throws {
        let instrument = try Instrument("btc-usdt")
        #expect(instrument.base == "BTC")
        #expect(instrument.quote == "USDT")
        #expect(instrument.description == "BTC-USDT")
    }

    @Test(arguments: ["BTCUSDT", "BTC-", "-USD", "BTC-USD-X", "B-USD", "BTC_USD-X", "ÄBC-USD"])
    func rejectsNonCanonicalText(_ text: String) {
        #expect(throws: InstrumentError.self) { try Instrument(text) }
    }

    @Test func ordersByCanonicalText() throws {
        let sorted = try ["ETH-USDT", "BTC-USDT", "BTC-KRW"].map { try Instrument($0) }.sorted()
        #expect(sorted.map(\.description) == ["BTC-KRW", "BTC-USDT", "ETH-USDT"])
    }
}

@Suite("Topic names")
struct TopicNamesTests {
    @Test func defaultNamesMatchTheArchitecture() {
        let topics = TopicNames()
        #expect(topics.ticks(.binance) == "ticks.binance")
        #expect(topics.status == "events.status")
        #expect(topics.producerDeadLetters == "dlq.producer")
        #expect(topics.sinkDeadLetters == "dlq.sink")
        #expect(topics.snapshots == "snapshots.1s")
        #expect(topics.windows == "windows.15m")
        #expect(topics.spreads == "spreads.1s")
        #expect(topics.ticksPattern == "^ticks\\.[a-z0-9_-]+$")
    }

    @Test func prefixIsAppliedAndEscapedInPatterns() {
        let topics = TopicNames(prefix: "stg.")
        #expect(topics.ticks(.htx) == "stg.ticks.htx")
        #expect(topics.ticksPattern == "^stg\\.ticks\\.[a-z0-9_-]+$")
    }

    @Test func sourcesOrderById() {
        #expect(SourceID.allCases.count == 14)
        #expect(SourceID.binance < SourceID.coinbase)
        #expect(SourceID.binance < SourceID.binanceRTDS && SourceID.binanceRTDS < SourceID.bitget)
        #expect(SourceID.chainlink < SourceID.chainlinkTWAP && SourceID.chainlinkTWAP < SourceID.coinbase)
        #expect(SourceID.allCases.filter(\.isOracle) == [.chainlink, .binanceRTDS, .chainlinkTWAP, .pyth])
        #expect(SourceID.allCases.filter { !$0.isRequiredByDefault } == [.chainlink, .binanceRTDS, .pyth],
                "only the series the markets resolve on among the oracles is required")
    }

    @Test func indexIsThePositionInAllCasesWithNewSourcesLast() throws {
        #expect(SourceID.allCases.map(\.index) == Array(0..<14))
        #expect(SourceID.binanceRTDS.index == 11 && SourceID.chainlinkTWAP.index == 12 && SourceID.allCases.last == .pyth)
        #expect(SourceID(rawValue: "binance_rtds") == .binanceRTDS)
        #expect(SourceID(rawValue: "chainlink_twap") == .chainlinkTWAP)
        #expect(SourceID.binanceRTDS.defaultInstruments == [try Instrument("BTC-USDT")])
        #expect(SourceID.chainlinkTWAP.defaultInstruments == [try Instrument("BTC-USD")])
        #expect(SourceID.pyth.defaultInstruments == [try Instrument("BTC-USD")])
    }
}
