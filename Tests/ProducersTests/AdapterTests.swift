import Testing
@testable import Producers
import TickbusMarket

/// Each adapter decodes example frames from its venue's documentation to exact values, recognises acks,
/// errors and pongs, and rejects malformed frames with a typed error.
@Suite("Venue adapters")
struct AdapterTests {
    let received: Int64 = 1_700_000_000_123_456

    func instruments(_ names: String...) throws -> [Instrument] { try names.map { try Instrument($0) } }

    /// Live ticks and history (snapshot) ticks alike.
    func ticks(_ events: [VenueEvent]) -> [Tick] {
        events.compactMap {
            switch $0 {
            case .tick(let tick), .history(let tick): tick
            default: nil
            }
        }
    }

    // MARK: Binance

    @Test func binanceBookTickerFromTheDocs() throws {
        let adapter = BinanceAdapter(instruments: try instruments("BNB-USDT"))
        let frame = WebSocketFrame.text(#"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#)
        let tick = try #require(ticks(try adapter.decode(frame, receiveTime: received)).first)
        #expect(tick.instrument.description == "BNB-USDT")
        #expect(tick.venueSymbol == "BNBUSDT")
        #expect(tick.kind == .quote)
        #expect(tick.bid?.text == "25.35190000")
        #expect(tick.bidSize?.text == "31.21000000")
        #expect(tick.ask?.text == "25.36520000")
        #expect(tick.askSize?.text == "40.66000000")
        #expect(tick.venueTime == nil, "bookTicker carries no event time")
        #expect(tick.receiveTime == received)
    }

    @Test func binanceTradeFromTheDocsAndTheCombinedWrapper() throws {
        let adapter = BinanceAdapter(instruments: try instruments("BNB-BTC"))
        let trade = #"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#
        for text in [trade, #"{"stream":"bnbbtc@trade","data":\#(trade)}"#] {
            let tick = try #require(ticks(try adapter.decode(.text(text), receiveTime: received)).first)
            #expect(tick.kind == .trade)
            #expect(tick.last?.text == "0.001")
            #expect(tick.venueTime == 1_672_515_782_136_000)
        }
    }

    @Test func binanceControlMessages() throws {
        let adapter = BinanceAdapter(instruments: try instruments("BTC-USDT"))
        #expect(try adapter.decode(.text(#"{"result":null,"id":1}"#), receiveTime: received) == [.subscribed("SUBSCRIBE id 1")])
        #expect(try adapter.decode(.text(#"{"code":2,"msg":"Invalid request: unknown variant"}"#), receiveTime: received)
            == [.rejected("code 2: Invalid request: unknown variant")])
        #expect(try adapter.decode(.text(#"{"e":"serverShutdown","E":1746000000000}"#), receiveTime: received)
            == [.reconnectRequested("serverShutdown")])
        #expect(adapter.subscribeFrames() == [.text(#"{"method":"SUBSCRIBE","params":["btcusdt@bookTicker","btcusdt@trade"],"id":1}"#)])
    }

    @Test(arguments: [
        #"{"u":1,"s":"BTCUSDT","b":"x","B":"1","a":"1","A":"1"}"#,
        #"{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"1"}"#,
        #"{"u":1,"s":"ETHUSDT","b":"1","B":"1","a":"1","A":"1"}"#,
        #"{"e":"trade","s":"BTCUSDT","p":"1"}"#,
        #"{"e":"kline"}"#,
        #"{"u":1,"#,
        "[]",
    ])
    func binanceRejectsMalformedFrames(_ text: String) throws {
        let adapter = BinanceAdapter(instruments: try instruments("BTC-USDT"))
        let error = #expect(throws: VenueDecodeError.self) { try adapter.decode(.text(text), receiveTime: received) }
        #expect(error?.source == .binance)
    }

    /// Bare data frames take the flat fast path; wrapped in the combined-stream envelope the same object goes
    /// through the parsed document. Both must give the same tick, or the same error, for every variant.
    @Test func binanceFastPathAgreesWithTheDocumentPath() throws {
        let adapter = BinanceAdapter(instruments: try instruments("BTC-USDT"))
        func outcome(_ text: String) -> String {
            do { return "\(try adapter.decode(.text(text), receiveTime: received))" } catch { return error.reason }
        }
        let book = #"{"u":400900217,"s":"BTCUSDT","b":"65000.12000000","B":"3.21000000","a":"65000.13000000","A":"0.66000000"}"#
        let trade = #"{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":12345,"p":"65000.12","q":"100","T":1672515782136,"m":true,"M":true}"#
        let edits: [(String, String)] = [
            ("", ""), (#""b":"65000.12000000""#, #""b":65000.12"#), (#""b":"65000.12000000""#, #""b":"6.5e4""#),
            (#""b":"65000.12000000""#, #""b":"x""#), (#""b":"65000.12000000""#, #""b":null"#),
            (#""b":"65000.12000000""#, #""b":"6\u0035000.12""#), (#""s":"BTCUSDT""#, #""s":"ETHUSDT""#),
            (#""s":"BTCUSDT""#, #""s":"BTC\u0055SDT""#), (#""s":"BTCUSDT""#, #""s":1"#), (#""A":"0.66000000""#, ""),
            (#""u":400900217,"#, ""), (#""p":"65000.12""#, #""p":true"#), (#""T":1672515782136"#, #""T":"1672515782136""#),
            (#""T":1672515782136"#, #""T":-5"#), (#""T":1672515782136"#, #""T":1.5"#), (#""e":"trade""#, #""e":"kline""#),
            (#""e":"trade""#, #""e":"trad\u0065""#), (#""e":"trade""#, #""e":"serverShutdown""#), (#""m":true"#, #""mm":true"#),
        ]
        var compared = 0
        for frame in [book, trade] {
            for (target, replacement) in edits where target.isEmpty || frame.contains(target) {
                let text = target.isEmpty ? frame : frame.replacingOccurrences(of: target, with: replacement)
                    .replacingOccurrences(of: ",,", with: ",").replacingOccurrences(of: "{,", with: "{").replacingOccurrences(of: ",}", with: "}")
                let wrapped = #"{"stream":"btcusdt@bookTicker","data":\#(text)}"#
                #expect(outcome(text) == outcome(wrapped), "\(text)")
                compared += 1
            }
        }
        #expect(compared == 23)
        #expect(outcome(book).hasPrefix("[Producers.VenueEvent.tick("))
        #expect(outcome(book.replacingOccurrences(of: #""s":"BTCUSDT""#, with: #""s":"ETHUSDT""#)) == "unsubscribed symbol 'ETHUSDT'")
    }

    // MARK: Coinbase

    @Test func coinbaseTickerFromTheDocs() throws {
        let adapter = CoinbaseAdapter(instruments: try instruments("ETH-USD"))
        let frame = WebSocketFrame.text(#"{"type":"ticker","sequence":37475248783,"product_id":"ETH-USD","price":"1285.22","open_24h":"1310.79","volume_24h":"245532.79269678","low_24h":"1280.52","high_24h":"1313.8","volume_30d":"9788783.60117027","best_bid":"1285.04","best_bid_size":"0.46688654","best_ask":"1285.27","best_ask_size":"1.56637040","side":"buy","time":"2022-10-19T23:28:22.061769Z","trade_id":370843401,"last_size":"11.4396987"}"#)
        let tick = try #require(ticks(try adapter.decode(frame, receiveTime: received)).first)
        #expect(tick.kind == .quote)
        #expect(tick.bid?.text == "1285.04")
        #expect(tick.bidSize?.text == "0.46688654")
        #expect(tick.ask?.text == "1285.27")
        #expect(tick.askSize?.text == "1.56637040")
        #expect(tick.last?.text == "1285.22")
        #expect(tick.venueTime == 1_666_222_102_061_769)
    }

    @Test func coinbaseControlMessages() throws {
        let adapter = CoinbaseAdapter(instruments: try instruments("BTC-USD", "USDT-USD"))
        #expect(try adapter.decode(.text(#"{"type":"subscriptions","channels":[{"name":"ticker","product_ids":["BTC-USD"]},{"name":"heartbeat","product_ids":["BTC-USD"]}]}"#), receiveTime: received)
            == [.subscribed("ticker,heartbeat")])
        #expect(try adapter.decode(.text(#"{"type":"heartbeat","sequence":90,"last_trade_id":20,"product_id":"BTC-USD","time":"2014-11-07T08:19:28.464459Z"}"#), receiveTime: received) == [.heartbeat])
        #expect(try adapter.decode(.text(#"{"type":"error","message":"Failed to subscribe","reason":"BTC-XYZ is not a valid product"}"#), receiveTime: received)
            == [.rejected("Failed to subscribe: BTC-XYZ is not a valid product")])
        #expect(adapter.subscribeFrames() == [.text(#"{"type":"subscribe","product_ids":["BTC-USD","USDT-USD"],"channels":["ticker","heartbeat"]}"#)])
        let badTime = #"{"type":"ticker","product_id":"BTC-USD","best_bid":"1","best_ask":"2","time":"0001-13-01T00:00:00Z"}"#
        #expect(throws: VenueDecodeError.self) { try adapter.decode(.text(badTime), receiveTime: received) }
    }

    @Test(arguments: [
        ("2022-10-19T23:28:22.061769Z", Int64(1_666_222_102_061_769)),
        ("2024-02-29T12:00:00Z", Int64(1_709_208_000_000_000)),
        ("1969-12-31T23:59:59Z", Int64(-1_000_000)),
        ("2024-02-29T12:00:00.123456789Z", Int64(1_709_208_000_123_456)),
    ])
    func isoTimesConvertToMicrosecondsExactly(_ text: String, _ expected: Int64) {
        #expect(ISO8601Microseconds.parse(Array(text.utf8)) == expected)
    }

    // MARK: OKX

    @Test func okxBestBidAskAndTradesFromTheDocs() throws {
        let adapter = OKXAdapter(instruments: try instruments("BTC-USDT"))
        // bbo-tbt example from the OKX v5 docs (instId changed from BCH-USDT-SWAP to the spot instrument).
        let bbo = #"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["111.06","55154","0","2"]],"bids":[["111.05","57745","0","2"]],"ts":"1670324386802","seqId":363996337}]}"#
        let quote = try #require(ticks(try adapter.decode(.text(bbo), receiveTime: received)).first)
        #expect(quote.kind == .quote)
        #expect(quote.bid?.text == "111.05")
        #expect(quote.bidSize?.text == "57745")
        #expect(quote.ask?.text == "111.06")
        #expect(quote.askSize?.text == "55154")
        #expect(quote.venueTime == 1_670_324_386_802_000)

        let trades = #"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"130639474","px":"42219.9","sz":"0.12060306","side":"buy","ts":"1630048897897","count":"3"},{"instId":"BTC-USDT","tradeId":"130639475","px":"42220","sz":"1","side":"sell","ts":"1630048897898","count":"1"}]}"#
        let decoded = ticks(try adapter.decode(.text(trades), receiveTime: received))
        #expect(decoded.map(\.last?.text) == ["42219.9", "42220"])
        #expect(decoded.map(\.venueTime) == [1_630_048_897_897_000, 1_630_048_897_898_000])
    }

    @Test func okxControlMessagesAndPong() throws {
        let adapter = OKXAdapter(instruments: try instruments("BTC-USDT"))
        #expect(try adapter.decode(.text("pong"), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text(#"{"id":"1","event":"subscribe","arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"connId":"a4d3ae55"}"#), receiveTime: received)
            == [.subscribed("bbo-tbt BTC-USDT")])
        #expect(try adapter.decode(.text(#"{"id":"1","event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#), receiveTime: received)
            == [.rejected(#"code 60012: Invalid request: {"op": "subscribe"}"#)])
        #expect(try adapter.decode(.text(#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade.","connId":"a4d3ae55"}"#), receiveTime: received)
            == [.reconnectRequested("notice 64008: The connection will soon be closed for a service upgrade.")])
        #expect(adapter.subscribeFrames() == [.text(#"{"id":"1","op":"subscribe","args":[{"channel":"bbo-tbt","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT"}]}"#)])
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[],"bids":[],"ts":"1"}]}"#), receiveTime: received)
        }
    }

    // MARK: Chainlink (Polymarket RTDS)

    @Test func chainlinkUpdateFromALiveCapture() throws {
        let adapter = ChainlinkAdapter(instruments: try instruments("BTC-USD"))
        let frame = #"{"topic":"crypto_prices_chainlink","type":"update","timestamp":1785150686566,"connection_id":"gVXk0y-M8WeIKEhvdA==","payload":{"symbol":"btc/usd","timestamp":1785150685000,"value":65245.09165178642,"full_accuracy_value":"65245091651786417500000"}}"#
        let tick = try #require(ticks(try adapter.decode(.text(frame), receiveTime: received)).first)
        #expect(tick.kind == .oracle)
        #expect(tick.instrument.description == "BTC-USD")
        #expect(tick.venueSymbol == "btc/usd")
        #expect(tick.last?.text == "65245.09165178642")
        #expect(tick.exact == "65245.0916517864175", "the E18 integer 65245091651786417500000, converted exactly")
        #expect(tick.venueTime == 1_785_150_685_000_000, "observation time, not the send time")
    }

    @Test func chainlinkSnapshotArraysPongsAndKeepalives() throws {
        let adapter = ChainlinkAdapter(instruments: try instruments("BTC-USD"))
        let snapshot = #"{"payload":{"symbol":"btc/usd","data":[{"timestamp":1785150684000,"value":65244.5},{"timestamp":1785150685000,"value":65245.1}]}}"#
        #expect(ticks(try adapter.decode(.text(snapshot), receiveTime: received)).map(\.venueTime) == [1_785_150_684_000_000, 1_785_150_685_000_000])
        let batch = #"[{"topic":"crypto_prices_chainlink","payload":{"symbol":"btc/usd","timestamp":1,"value":1}},{"topic":"crypto_prices_chainlink","payload":{"symbol":"btc/usd","timestamp":2,"value":2}}]"#
        #expect(ticks(try adapter.decode(.text(batch), receiveTime: received)).count == 2)
        #expect(try adapter.decode(.text("PONG"), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text("  "), receiveTime: received) == [.heartbeat])
        #expect(adapter.subscribeFrames() == [.text(#"{"action":"subscribe","subscriptions":[{"topic":"crypto_prices_chainlink","type":"*","filters":"{\"symbol\":\"btc/usd\"}"}]}"#)])
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"topic":"crypto_prices_chainlink","payload":{"symbol":"eth/usd","timestamp":1,"value":1}}"#), receiveTime: received)
        }
    }

    // MARK: Binance BTC/USDT relayed by Polymarket RTDS (crypto_prices)

    @Test func binanceRTDSUpdateFromTheDocs() throws {
        let adapter = BinanceRTDSAdapter(instruments: try instruments("BTC-USDT"))
        let frame = #"{"topic":"crypto_prices","type":"update","timestamp":1753314064237,"payload":{"symbol":"btcusdt","timestamp":1753314064213,"value":67234.5}}"#
        let events = try adapter.decode(.text(frame), receiveTime: received)
        #expect(events.count == 1)
        let tick = try #require(ticks(events).first)
        #expect(tick.source == .binanceRTDS)
        #expect(tick.kind == .oracle)
        #expect(tick.instrument.description == "BTC-USDT")
        #expect(tick.venueSymbol == "btcusdt")
        #expect(tick.last?.text == "67234.5")
        #expect(tick.bid == nil && tick.ask == nil)
        #expect(tick.exact == "67234.5", "crypto_prices carries no full_accuracy_value in the docs: the value's own digits")
        #expect(tick.venueTime == 1_753_314_064_213_000, "observation time, not the send time")
        #expect(tick.receiveTime == received)
        // Should the relay add the E18 fixed-point value it sends for Chainlink, it is converted exactly.
        let withExact = #"{"topic":"crypto_prices","type":"update","timestamp":1753314064237,"payload":{"symbol":"btcusdt","timestamp":1753314064213,"value":67234.5,"full_accuracy_value":"67234510000000000000000"}}"#
        #expect(ticks(try adapter.decode(.text(withExact), receiveTime: received)).first?.exact == "67234.51")
    }

    @Test func binanceRTDSArraysSnapshotsPongsKeepalivesAndSubscription() throws {
        let adapter = BinanceRTDSAdapter(instruments: try instruments("BTC-USDT", "ETH-USDT"))
        #expect(adapter.source == .binanceRTDS)
        #expect(adapter.defaultEndpoint == "wss://ws-live-data.polymarket.com")
        #expect(adapter.heartbeat == HeartbeatRule(keepalive: .clientFrame(.text("PING"), interval: .seconds(5)), dataTimeout: .seconds(15)))
        #expect(adapter.subscribeFrames() == [.text(#"{"action":"subscribe","subscriptions":[{"topic":"crypto_prices","type":"update","filters":"btcusdt,ethusdt"}]}"#)])
        #expect(BinanceRTDSAdapter(instruments: try instruments("BTC-USDT")).subscribeFrames()
            == [.text(#"{"action":"subscribe","subscriptions":[{"topic":"crypto_prices","type":"update","filters":"btcusdt"}]}"#)])

        let batch = #"[{"topic":"crypto_prices","type":"update","timestamp":1753314064237,"payload":{"symbol":"btcusdt","timestamp":1753314064213,"value":67234.5}},{"topic":"crypto_prices","type":"update","timestamp":1753314064240,"payload":{"symbol":"ethusdt","timestamp":1753314064220,"value":3521.07}}]"#
        let batchTicks = ticks(try adapter.decode(.text(batch), receiveTime: received))
        #expect(batchTicks.map(\.instrument.description) == ["BTC-USDT", "ETH-USDT"])
        #expect(batchTicks.map { $0.last?.text } == ["67234.5", "3521.07"])
        #expect(batchTicks.map(\.venueTime) == [1_753_314_064_213_000, 1_753_314_064_220_000])

        // The connect-time history, with and without a topic.
        for snapshot in [
            #"{"payload":{"symbol":"btcusdt","data":[{"timestamp":1753314063213,"value":67233.9},{"timestamp":1753314064213,"value":67234.5}]}}"#,
            #"{"topic":"crypto_prices","type":"subscribe","timestamp":1753314064300,"payload":{"symbol":"btcusdt","data":[{"timestamp":1753314063213,"value":67233.9},{"timestamp":1753314064213,"value":67234.5}]}}"#,
        ] {
            let history = ticks(try adapter.decode(.text(snapshot), receiveTime: received))
            #expect(history.map(\.venueTime) == [1_753_314_063_213_000, 1_753_314_064_213_000])
            #expect(history.map { $0.last?.text } == ["67233.9", "67234.5"])
            #expect(history.allSatisfy { $0.kind == .oracle && $0.venueSymbol == "btcusdt" && $0.source == .binanceRTDS })
        }

        #expect(try adapter.decode(.text("PONG"), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text("pong"), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text(" \n"), receiveTime: received) == [.heartbeat])
        #expect(try adapter.decode(.text(""), receiveTime: received) == [.heartbeat])
        #expect(try adapter.decode(.text(#"{"message":"Invalid request body"}"#), receiveTime: received) == [.rejected("Invalid request body")])
        #expect(try Adapters.make(.binanceRTDS, instruments: SourceID.binanceRTDS.defaultInstruments) is BinanceRTDSAdapter)
        #expect(Adapters.implemented.contains(.binanceRTDS))
    }

    @Test(arguments: [
        // Another topic, even with a subscribed symbol.
        #"{"topic":"crypto_prices_chainlink","type":"update","timestamp":1,"payload":{"symbol":"btcusdt","timestamp":1,"value":1}}"#,
        // A symbol not subscribed (and Chainlink's spelling, e.g. a snapshot without a topic).
        #"{"topic":"crypto_prices","type":"update","timestamp":1,"payload":{"symbol":"ethusdt","timestamp":1,"value":1}}"#,
        #"{"payload":{"symbol":"btc/usd","data":[{"timestamp":1,"value":1}]}}"#,
        #"{"topic":"crypto_prices","payload":{"timestamp":1,"value":1}}"#,
        // Wrong or missing fields.
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":1753314064213,"value":"x"}}"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":1753314064213,"value":true}}"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":1753314064213}}"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":"soon","value":1}}"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","value":1}}"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","data":{"timestamp":1,"value":1}}}"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","data":[{"timestamp":1753314064213,"value":null}]}}"#,
        #"{"topic":"crypto_prices","type":"update"}"#,
        // Not a message, not JSON, cut off.
        #"[{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":1,"value":1}},3]"#,
        #"PING"#,
        #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":17533"#,
    ])
    func binanceRTDSRejectsMalformedOtherTopicAndUnsubscribedFrames(_ text: String) throws {
        let adapter = BinanceRTDSAdapter(instruments: try instruments("BTC-USDT"))
        let error = #expect(throws: VenueDecodeError.self) { try adapter.decode(.text(text), receiveTime: received) }
        #expect(error?.source == .binanceRTDS)
    }

    @Test func theTwoRTDSTopicsDoNotTakeEachOthersMessages() throws {
        let chainlink = ChainlinkAdapter(instruments: try instruments("BTC-USD"))
        let relay = BinanceRTDSAdapter(instruments: try instruments("BTC-USDT"))
        let binanceFrame = #"{"topic":"crypto_prices","type":"update","timestamp":1753314064237,"payload":{"symbol":"btcusdt","timestamp":1753314064213,"value":67234.5}}"#
        let chainlinkFrame = #"{"topic":"crypto_prices_chainlink","type":"update","timestamp":1785150686566,"payload":{"symbol":"btc/usd","timestamp":1785150685000,"value":65245.09165178642}}"#
        #expect(throws: VenueDecodeError(source: .chainlink, reason: "unexpected topic 'crypto_prices'")) {
            try chainlink.decode(.text(binanceFrame), receiveTime: received)
        }
        #expect(throws: VenueDecodeError(source: .binanceRTDS, reason: "unexpected topic 'crypto_prices_chainlink'")) {
            try relay.decode(.text(chainlinkFrame), receiveTime: received)
        }
    }

    // MARK: normalize

    @Test func normalizeNumbersTicksAndReportsBadLinesWithoutStopping() throws {
        var normalizer = FrameNormalizer(adapter: BinanceAdapter(instruments: try instruments("BTC-USDT")), producer: "p")
        var output: [UInt8] = []
        let lines = [
            #"{"u":1,"s":"BTCUSDT","b":"1.5","B":"2","a":"1.6","A":"3"}"#, "not json",
            #"{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.55","q":"1","T":1700000000000,"m":false,"M":true}"#,
            "b64:%%%", #"{"result":null,"id":1}"#,
        ]
        let problems = lines.map { normalizer.normalize(line: Array($0.utf8)[...], receiveTime: 7, output: &output) }
        #expect(problems.map { $0 != nil } == [false, true, false, true, false])
        let decoded = try String(decoding: output, as: UTF8.self).split(separator: "\n").map { try TickCodec.decode(Array($0.utf8)) }
        #expect(decoded.map(\.sequence) == [1, 2])
        #expect(decoded.map(\.kind) == [.quote, .trade])
        #expect(decoded.allSatisfy { $0.producer == "p" && $0.receiveTime == 7 })
        #expect(normalizer.badFrames == 2)
    }
}
