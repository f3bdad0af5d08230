import Foundation
import Testing
import TickbusKafka
import TickbusMarket
import VenueSim
@testable import Producers

/// The venue protocols as they are in late 2026 (issue 22): OKX on port 443, MEXC's code-0 refusals, Bitget
/// v3 (and v2 still), and the public spot shapes recorded data uses beside the channels we subscribe to. Frames
/// are the venues' documentation examples (symbols adapted where the example used another pair), or captures
/// published with the clients named in docs/configuration.md; values are asserted exactly.
@Suite("Venue shapes of late 2026")
struct VenueShapeTests {
    let received: Int64 = 1_700_000_000_123_456

    func ticks(_ events: [VenueEvent]) -> [Tick] { events.compactMap { if case .tick(let tick) = $0 { tick } else { nil } } }

    func one(_ adapter: some VenueAdapter, _ text: String) throws -> Tick {
        let decoded = ticks(try adapter.decode(.text(text), receiveTime: received))
        try #require(decoded.count == 1, "one tick from \(text.prefix(60))")
        return decoded[0]
    }

    /// A frame for an instrument that is not configured is a decode error that says so.
    func expectUnconfigured(_ adapter: some VenueAdapter, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let events = try adapter.decode(.text(text), receiveTime: received)
            Issue.record("decoded \(events) from a frame of an unconfigured instrument", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains("unsubscribed"), "\(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: OKX

    @Test func okxUsesPort443AndDecodesTickers() throws {
        let adapter = OKXAdapter(instruments: [try Instrument("BTC-USDT")])
        #expect(adapter.defaultEndpoint == "wss://ws.okx.com/ws/v5/public")
        // The tickers push example of the OKX v5 docs.
        let text = #"{"arg":{"channel":"tickers","instId":"BTC-USDT"},"data":[{"instType":"SPOT","instId":"BTC-USDT","last":"9999.99","lastSz":"0.1","askPx":"9999.99","askSz":"11","bidPx":"8888.88","bidSz":"5","open24h":"9000","high24h":"10000","low24h":"8888.88","volCcy24h":"2222","vol24h":"2222","sodUtc0":"2222","sodUtc8":"2222","ts":"1597026383085"}]}"#
        let tick = try one(adapter, text)
        #expect(tick.kind == .quote)
        #expect(tick.instrument.description == "BTC-USDT" && tick.venueSymbol == "BTC-USDT")
        #expect(tick.bid?.text == "8888.88" && tick.bidSize?.text == "5")
        #expect(tick.ask?.text == "9999.99" && tick.askSize?.text == "11")
        #expect(tick.last?.text == "9999.99")
        #expect(tick.venueTime == 1_597_026_383_085_000)
        expectUnconfigured(adapter, text.replacingOccurrences(of: "BTC-USDT", with: "ETH-USDT"))
    }

    // MARK: MEXC

    @Test func mexcNotSubscribedIsARejectionWhateverTheCode() throws {
        let adapter = MEXCAdapter(instruments: [try Instrument("BTC-USDT")])
        let refusal = #"{"id":0,"code":0,"msg":"Not Subscribed successfully! [spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT].  Reason： Blocked! "}"#
        #expect(try adapter.decode(.text(refusal), receiveTime: received)
            == [.rejected("code 0: Not Subscribed successfully! [spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT].  Reason： Blocked! ")])
        // Several channels refused in one answer (as captured against the retired JSON channels).
        let several = #"{"code":0,"id":0,"msg":"Not Subscribed successfully! [spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT,spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT].  Reason： Blocked! "}"#
        let events = try adapter.decode(.text(several), receiveTime: received)
        guard case .rejected(let reason) = try #require(events.first), events.count == 1 else {
            Issue.record("expected one rejection, got \(events)")
            return
        }
        #expect(reason.hasSuffix("Reason： Blocked! ") && reason.hasPrefix("code 0: Not Subscribed"))
        // Only the requested channel, spelled exactly, acknowledges.
        #expect(try adapter.decode(.text(#"{"id":0,"code":0,"msg":"spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT"}"#), receiveTime: received)
            == [.subscribed("spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT")])
        #expect(throws: VenueDecodeError.self, "a channel we did not ask for is no acknowledgement") {
            try adapter.decode(.text(#"{"id":0,"code":0,"msg":"spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"}"#), receiveTime: received)
        }
        #expect(throws: VenueDecodeError.self) { try adapter.decode(.text(#"{"id":0,"code":0,"msg":"ok"}"#), receiveTime: received) }
        #expect(try adapter.decode(.text(#"{"id":0,"code":0,"msg":"PONG"}"#), receiveTime: received) == [.pong])
    }

    // MARK: Bitget

    @Test func bitgetSubscribesInV3UnlessTheEndpointIsV2() async throws {
        let adapter = BitgetAdapter(instruments: [try Instrument("BTC-USDT")])
        #expect(adapter.defaultEndpoint == "wss://ws.bitget.com/v3/ws/public")
        let v3 = WebSocketFrame.text(#"{"op":"subscribe","args":[{"instType":"spot","topic":"books1","symbol":"BTCUSDT"},{"instType":"spot","topic":"publicTrade","symbol":"BTCUSDT"}]}"#)
        let v2 = WebSocketFrame.text(#"{"op":"subscribe","args":[{"instType":"SPOT","channel":"books1","instId":"BTCUSDT"},{"instType":"SPOT","channel":"trade","instId":"BTCUSDT"}]}"#)
        #expect(adapter.subscribeFrames() == [v3])
        #expect(BitgetAdapter.apiVersion(ofEndpoint: "wss://ws.bitget.com/v3/ws/public") == .v3)
        #expect(BitgetAdapter.apiVersion(ofEndpoint: "wss://ws.bitget.com/v2/ws/public") == .v2)
        #expect(BitgetAdapter.apiVersion(ofEndpoint: "ws://127.0.0.1:19500/bitget/v2") == .v2)
        #expect(BitgetAdapter.apiVersion(ofEndpoint: "ws://127.0.0.1:19500/bitget") == .v3)
        #expect(BitgetAdapter.apiVersion(ofEndpoint: "ws://v2.example:80/bitget?api=v2") == .v3, "only the path counts")

        let plan = try await adapter.prepareConnection(endpoint: "wss://ws.bitget.com/v2/ws/public")
        #expect(plan.url == "wss://ws.bitget.com/v2/ws/public")
        #expect(plan.subscriptions == [v2], "an --endpoint back to v2 subscribes the v2 way")
        #expect(try await adapter.prepareConnection(endpoint: adapter.defaultEndpoint).subscriptions == [v3])
        #expect(adapter.subscribeFrames() == [v3], "the plan carries the version: the adapter keeps no state")
    }

    @Test func bitgetV3BooksTradesTickerAndAcks() throws {
        let adapter = BitgetAdapter(instruments: [try Instrument("BTC-USDT")])
        // v3 books1 as tardis-node's v3 mapper types it (rows `a`/`b`, `seq`/`pseq`, data `ts` ms string).
        let book = #"{"action":"snapshot","arg":{"instType":"spot","topic":"books1","symbol":"BTCUSDT"},"data":[{"a":[["80855.01","0.381751"]],"b":[["80855","0.119954"]],"checksum":0,"seq":1485683898127,"pseq":1485683898126,"ts":"1789940562091"}],"ts":1789940562093}"#
        let quote = try one(adapter, book)
        #expect(quote.kind == .quote && quote.venueSymbol == "BTCUSDT" && quote.instrument.description == "BTC-USDT")
        #expect(quote.bid?.text == "80855" && quote.bidSize?.text == "0.119954")
        #expect(quote.ask?.text == "80855.01" && quote.askSize?.text == "0.381751")
        #expect(quote.venueTime == 1_789_940_562_091_000, "the book's ts, not the envelope's")

        let update = #"{"action":"update","arg":{"instType":"spot","topic":"publicTrade","symbol":"BTCUSDT"},"data":[{"i":"1485683898127761410","p":"80810.6","v":"0.0246","S":"sell","T":"1789940564662","L":"1485683898127761411","isRPI":"no"},{"i":"1485683898127761408","p":"80810.7","v":"0.0716","S":"buy","T":"1789940564663","L":"1485683898127761409","isRPI":"no"}],"ts":1789940564664}"#
        let trades = ticks(try adapter.decode(.text(update), receiveTime: received))
        #expect(trades.map(\.kind) == [.trade, .trade])
        #expect(trades.map { $0.last?.text } == ["80810.6", "80810.7"])
        #expect(trades.map(\.venueTime) == [1_789_940_564_662_000, 1_789_940_564_663_000])
        let history = update.replacingOccurrences(of: #""action":"update""#, with: #""action":"snapshot""#)
        #expect(try adapter.decode(.text(history), receiveTime: received) == [.heartbeat], "the replayed history is not live data")

        // A v3 spot ticker push (captured 2026): no time in the row, the envelope's ts (ms number).
        let ticker = #"{"action":"snapshot","arg":{"instType":"spot","topic":"ticker","symbol":"BTCUSDT"},"data":[{"highPrice24h":"81500.55","lowPrice24h":"80122.15","openPrice24h":"80910.01","lastPrice":"80855.01","turnover24h":"172381085.901288","volume24h":"2134.512901","bid1Price":"80855","ask1Price":"80855.01","bid1Size":"0.119954","ask1Size":"0.381751","price24hPcnt":"-0.00216"}],"ts":1789940562091}"#
        let tick = try one(adapter, ticker)
        #expect(tick.kind == .quote)
        #expect(tick.bid?.text == "80855" && tick.bidSize?.text == "0.119954")
        #expect(tick.ask?.text == "80855.01" && tick.askSize?.text == "0.381751")
        #expect(tick.last?.text == "80855.01")
        #expect(tick.venueTime == 1_789_940_562_091_000)

        #expect(try adapter.decode(.text(#"{"event":"subscribe","arg":{"instType":"spot","topic":"publicTrade","symbol":"BTCUSDT"}}"#), receiveTime: received)
            == [.subscribed("publicTrade BTCUSDT")])
        for frame in [book, update, ticker] {
            expectUnconfigured(adapter, frame.replacingOccurrences(of: #""symbol":"BTCUSDT""#, with: #""symbol":"ETHUSDT""#))
        }
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"action":"snapshot","arg":{"instType":"spot","topic":"books1","symbol":"BTCUSDT"},"data":[{"a":[],"b":[],"ts":"1"}],"ts":1}"#), receiveTime: received)
        }
    }

    @Test func bitgetV2TickerStillDecodes() throws {
        let adapter = BitgetAdapter(instruments: [try Instrument("BTC-USDT")])
        // The v2 spot Tickers-Channel push example.
        let text = #"{"action":"snapshot","arg":{"instType":"SPOT","channel":"ticker","instId":"BTCUSDT"},"data":[{"instId":"BTCUSDT","lastPr":"27000.5","open24h":"27000.5","high24h":"30668.5","low24h":"26999.0","change24h":"-0.00002","bidPr":"27000","askPr":"27000.5","bidSz":"2.71","askSz":"8.76","baseVolume":"1698.1","quoteVolume":"46037.6","openUtc":"27000.5","changeUtc24h":"0","ts":"1695702438018"}],"ts":1695702438029}"#
        let tick = try one(adapter, text)
        #expect(tick.kind == .quote)
        #expect(tick.bid?.text == "27000" && tick.bidSize?.text == "2.71")
        #expect(tick.ask?.text == "27000.5" && tick.askSize?.text == "8.76")
        #expect(tick.last?.text == "27000.5")
        #expect(tick.venueTime == 1_695_702_438_018_000)
        expectUnconfigured(adapter, text.replacingOccurrences(of: #""instId":"BTCUSDT"}"#, with: #""instId":"ETHUSDT"}"#))
    }

    // MARK: KuCoin

    @Test func kucoinTickerAndLevel1() throws {
        let adapter = KuCoinAdapter(instruments: [try Instrument("BTC-USDT")])
        // The /market/ticker example of KuCoin's docs, which spells the time `Time`; live pushes spell it `time`.
        let documented = #"{"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker","data":{"sequence":"1545896668986","price":"0.08","size":"0.011","bestAsk":"0.08","bestAskSize":"0.18","bestBid":"0.049","bestBidSize":"0.036","Time":1704873323416}}"#
        for text in [documented, documented.replacingOccurrences(of: #""Time""#, with: #""time""#)] {
            let tick = try one(adapter, text)
            #expect(tick.kind == .quote && tick.venueSymbol == "BTC-USDT")
            #expect(tick.bid?.text == "0.049" && tick.bidSize?.text == "0.036")
            #expect(tick.ask?.text == "0.08" && tick.askSize?.text == "0.18")
            #expect(tick.last?.text == "0.08")
            #expect(tick.venueTime == 1_704_873_323_416_000)
        }
        let all = documented.replacingOccurrences(of: "/market/ticker:BTC-USDT", with: "/market/ticker:all")
            .replacingOccurrences(of: #""subject":"trade.ticker""#, with: #""subject":"BTC-USDT""#)
        #expect(try one(adapter, all).bid?.text == "0.049", "/market/ticker:all names the symbol in subject")
        expectUnconfigured(adapter, documented.replacingOccurrences(of: "BTC-USDT", with: "ETH-USDT"))

        // The /spotMarket/level1 example of the docs.
        let level1 = #"{"type":"message","topic":"/spotMarket/level1:BTC-USDT","subject":"level1","data":{"asks":["9989","0.0099"],"bids":["9988","0.0008"],"timestamp":1586912543452}}"#
        let quote = try one(adapter, level1)
        #expect(quote.kind == .quote)
        #expect(quote.bid?.text == "9988" && quote.bidSize?.text == "0.0008")
        #expect(quote.ask?.text == "9989" && quote.askSize?.text == "0.0099")
        #expect(quote.venueTime == 1_586_912_543_452_000)
        expectUnconfigured(adapter, level1.replacingOccurrences(of: "BTC-USDT", with: "ETH-USDT"))
    }

    // MARK: Upbit

    @Test func upbitSimpleFormatOrderbookTradeAndTicker() throws {
        let adapter = UpbitAdapter(instruments: [try Instrument("BTC-KRW")])
        // Upbit's orderbook example in SIMPLE spelling (ty, cd, tms, tas, tbs, obu[ap, bp, as, bs], st, lv).
        let book = #"{"ty":"orderbook","cd":"KRW-BTC","tms":1746601573804,"tas":4.79158413,"tbs":2.65609625,"obu":[{"ap":137002000,"bp":137001000,"as":0.10623869,"bs":0.03656812},{"ap":137023000,"bp":137000000,"as":0.06144091,"bs":0.38290527}],"st":"REALTIME","lv":0}"#
        let quote = try one(adapter, book)
        #expect(quote.kind == .quote && quote.venueSymbol == "KRW-BTC" && quote.instrument.description == "BTC-KRW")
        #expect(quote.bid?.text == "137001000" && quote.bidSize?.text == "0.03656812")
        #expect(quote.ask?.text == "137002000" && quote.askSize?.text == "0.10623869")
        #expect(quote.venueTime == 1_746_601_573_804_000)

        let trade = #"{"ty":"trade","cd":"KRW-BTC","tp":137001000.0,"tv":0.00046573,"ab":"ASK","pcp":136270000.0,"c":"RISE","cp":731000.0,"td":"2025-05-07","ttm":"07:06:13","ttms":1746601573000,"tms":1746601573828,"sid":17466015730000000,"st":"REALTIME"}"#
        let last = try one(adapter, trade)
        #expect(last.kind == .trade && last.last?.text == "137001000.0")
        #expect(last.venueTime == 1_746_601_573_828_000, "message time tms: ttms has whole-second resolution")

        // The ticker has a last price and no bid or ask: a trade tick, in either format.
        let ticker = #"{"ty":"ticker","cd":"KRW-BTC","op":136270000.0,"hp":137349000.0,"lp":135900000.0,"tp":137001000.0,"pcp":136270000.0,"c":"RISE","cp":731000.0,"scp":731000.0,"cr":0.0053643502,"scr":0.0053643502,"tv":0.00046573,"atv":1383.68221419,"atv24h":2224.16014838,"atp":189045327088.17593,"atp24h":303628810396.3458,"tdt":"20250507","ttm":"070613","ttms":1746601573000,"ab":"ASK","aav":737.06381233,"abv":646.61840186,"h52wp":163325000.0,"h52wdt":"2025-01-20","l52wp":72100000.0,"l52wdt":"2024-08-05","ms":"ACTIVE","its":false,"dd":null,"mw":"NONE","tms":1746601573829,"st":"REALTIME"}"#
        let simpleTicker = try one(adapter, ticker)
        #expect(simpleTicker.kind == .trade && simpleTicker.last?.text == "137001000.0" && simpleTicker.bid == nil)
        #expect(simpleTicker.venueTime == 1_746_601_573_829_000)
        let defaultTicker = #"{"type":"ticker","code":"KRW-BTC","opening_price":136270000.0,"trade_price":137001000.0,"trade_timestamp":1746601573000,"timestamp":1746601573829,"stream_type":"REALTIME"}"#
        #expect(try one(adapter, defaultTicker).venueTime == 1_746_601_573_829_000)

        // A published SIMPLE capture: small sizes in exponent form, kept as written.
        let captured = #"{"ty":"orderbook","cd":"KRW-BTC","tms":1790134773006,"tas":0.48514983,"tbs":2.2403413,"obu":[{"ap":116606000,"bp":116534000,"as":0.06288509,"bs":7.9276E-4},{"ap":116609000,"bp":116521000,"as":5.0E-4,"bs":0.01624318}],"st":"SNAPSHOT","lv":0}"#
        let exponent = try one(adapter, captured)
        #expect(exponent.bid?.text == "116534000" && exponent.bidSize?.text == "7.9276E-4")
        #expect(exponent.ask?.text == "116606000" && exponent.askSize?.text == "0.06288509")
        #expect(exponent.venueTime == 1_790_134_773_006_000)

        // SIMPLE_LIST: one array per push.
        let list = ticks(try adapter.decode(.text("[\(book),\(trade)]"), receiveTime: received))
        #expect(list.map(\.kind) == [.quote, .trade])
        for frame in [book, trade, ticker] { expectUnconfigured(adapter, frame.replacingOccurrences(of: "KRW-BTC", with: "KRW-ETH")) }
    }

    // MARK: Bybit

    @Test func bybitSpotTickersCarryTheLastPrice() throws {
        let adapter = BybitAdapter(instruments: [try Instrument("BTC-USDT")])
        // The spot tickers example of Bybit's v5 docs.
        let text = #"{"topic":"tickers.BTCUSDT","ts":1673853746003,"type":"snapshot","cs":2588407389,"data":{"symbol":"BTCUSDT","lastPrice":"21109.77","highPrice24h":"21426.99","lowPrice24h":"20575","prevPrice24h":"20704.93","volume24h":"6780.866843","turnover24h":"141946527.22907118","price24hPcnt":"0.0196","usdIndexPrice":"21120.2400136"}}"#
        let tick = try one(adapter, text)
        #expect(tick.kind == .trade && tick.venueSymbol == "BTCUSDT")
        #expect(tick.last?.text == "21109.77")
        #expect(tick.bid == nil && tick.ask == nil, "spot tickers have no bid or ask")
        #expect(tick.venueTime == 1_673_853_746_003_000)
        expectUnconfigured(adapter, text.replacingOccurrences(of: "BTCUSDT", with: "ETHUSDT"))
    }

    // MARK: Coinbase

    @Test func coinbaseMatchAndLastMatch() throws {
        let adapter = CoinbaseAdapter(instruments: [try Instrument("BTC-USD")])
        // The matches channel example of the Exchange docs.
        let match = #"{"type":"match","trade_id":10,"sequence":50,"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8","taker_order_id":"132fb6ae-456b-4654-b4e0-d681ac05cea1","time":"2014-11-07T08:19:27.028459Z","product_id":"BTC-USD","size":"5.23512","price":"400.23","side":"sell"}"#
        for text in [match, match.replacingOccurrences(of: #""type":"match""#, with: #""type":"last_match""#)] {
            let tick = try one(adapter, text)
            #expect(tick.kind == .trade && tick.venueSymbol == "BTC-USD")
            #expect(tick.last?.text == "400.23")
            #expect(tick.bid == nil)
            #expect(tick.venueTime == 1_415_348_367_028_459)
        }
        expectUnconfigured(adapter, match.replacingOccurrences(of: "BTC-USD", with: "ETH-USD"))
    }

    // MARK: Binance

    @Test func binanceAggTrade() throws {
        let adapter = BinanceAdapter(instruments: [try Instrument("BNB-BTC")])
        // The aggTrade example of the spot WebSocket streams docs.
        let text = #"{"e":"aggTrade","E":1672515782136,"s":"BNBBTC","a":12345,"p":"0.001","q":"100","f":100,"l":105,"T":1672515782136,"m":true,"M":true}"#
        for frame in [text, #"{"stream":"bnbbtc@aggTrade","data":\#(text)}"#] {
            let tick = try one(adapter, frame)
            #expect(tick.kind == .trade && tick.venueSymbol == "BNBBTC" && tick.instrument.description == "BNB-BTC")
            #expect(tick.last?.text == "0.001")
            #expect(tick.ask == nil, "aggTrade's `a` is the aggregate id")
            #expect(tick.venueTime == 1_672_515_782_136_000)
        }
        expectUnconfigured(adapter, text.replacingOccurrences(of: "BNBBTC", with: "ETHBTC"))
    }

    // MARK: producer normalize

    @Test func normalizeAcceptsTheRecordedShapesAndReportsUnconfiguredOnes() throws {
        var normalizer = FrameNormalizer(adapter: BitgetAdapter(instruments: [try Instrument("BTC-USDT")]))
        let lines = [
            #"{"action":"snapshot","arg":{"instType":"spot","topic":"books1","symbol":"BTCUSDT"},"data":[{"a":[["80855.01","0.381751"]],"b":[["80855","0.119954"]],"checksum":0,"seq":2,"pseq":1,"ts":"1789940562091"}],"ts":1789940562093}"#,
            #"{"action":"snapshot","arg":{"instType":"SPOT","channel":"books1","instId":"BTCUSDT"},"data":[{"asks":[["26274.9","0.0009"]],"bids":[["26274.8","0.0009"]],"checksum":0,"seq":123,"ts":"1695710946294"}],"ts":1695710946294}"#,
            #"{"action":"update","arg":{"instType":"spot","topic":"publicTrade","symbol":"ETHUSDT"},"data":[{"i":"1","p":"3000.1","v":"1","S":"buy","T":"1789940564662"}],"ts":1789940564664}"#,
        ]
        var output: [UInt8] = []
        let problems = lines.map { normalizer.normalize(line: ArraySlice($0.utf8), receiveTime: received, output: &output) }
        #expect(problems[0] == nil && problems[1] == nil)
        #expect(problems[2]?.contains("unsubscribed symbol") == true, "\(problems[2] ?? "no problem")")
        let decoded = try output.split(separator: 0x0A).map { try TickCodec.decode(Array($0)) }
        #expect(decoded.map { $0.bid?.text } == ["80855", "26274.8"])
        #expect(decoded.map(\.venueTime) == [1_789_940_562_091_000, 1_695_710_946_294_000])
        #expect(decoded.map(\.sequence) == [1, 2])
    }
}

/// The refusals and the v3/v2 switch end to end: the supervisor against venue-sim and the local broker
/// (`scripts/dev-services start`), through ``SupervisorTests``' pipeline.
@Suite("Venue shapes against venue-sim", .serialized)
struct VenueShapeSupervisorTests {
    let pipeline = SupervisorTests()

    @Test func mexcBlockedRefusalEndsAsARejectedStatusEvent() async throws {
        try await pipeline.withPipeline(.mexc, simulator: { $0.rejectSubscriptions = [.mexc] }) { _, supervisor, topics in
            try await pipeline.waitUntil { supervisor.counts.connectAttempts >= 2 }
            let events = try await pipeline.readAll(topics.status, partitions: 3).map { try JSONDocument(parsing: $0.value).root }
            let rejected = events.filter { $0["event"]?.string == "rejected" }
            #expect(!rejected.isEmpty, "the code-0 refusal is a rejection")
            let detail = rejected.first?["detail"]?.string ?? ""
            #expect(detail.hasPrefix("code 0: Not Subscribed successfully! [spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT,"), "\(detail)")
            #expect(detail.hasSuffix("Reason： Blocked! "), "the venue's reason, verbatim: \(detail)")
            #expect(!events.contains { $0["event"]?.string == "subscribed" }, "never counted as subscribed")
        }
    }

    @Test(arguments: ["", "/v2"])
    func bitgetRoundTripsOverV3AndV2(_ pathSuffix: String) async throws {
        try await pipeline.withPipeline(.bitget, supervision: { $0.endpoint = $0.endpoint.map { $0 + pathSuffix } }) { simulator, supervisor, topics in
            try await pipeline.waitUntil { supervisor.counts.ticks >= 30 }
            #expect(supervisor.counts.connections == 1, "subscribed in the form the endpoint's API takes, not refused")
            simulator.inject(.stall, into: .bitget)
            try await Task.sleep(for: .milliseconds(500))
            let sent = simulator.sentPrices(.bitget)
            let ticks = try await pipeline.readAll(topics.ticks(.bitget), partitions: 2).map { try TickCodec.decode($0.value) }
            #expect(ticks.count == sent.count)
            #expect(ticks.sorted { $0.sequence < $1.sequence }.map { ($0.bid ?? $0.last)!.text } == sent)
            #expect(Set(ticks.map(\.kind)) == [.quote, .trade])
            #expect(supervisor.counts.decodeErrors == 0)
            let status = try await pipeline.readAll(topics.status, partitions: 3).map { try JSONDocument(parsing: $0.value).root }
            let subscribed = Set(status.filter { $0["event"]?.string == "subscribed" }.compactMap { $0["detail"]?.string })
            #expect(subscribed == (pathSuffix.isEmpty ? ["books1 BTCUSDT", "publicTrade BTCUSDT"] : ["books1 BTCUSDT", "trade BTCUSDT"]))
            #expect(!status.contains { $0["event"]?.string == "rejected" })
        }
    }
}
