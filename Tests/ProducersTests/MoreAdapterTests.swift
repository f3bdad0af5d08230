import Testing
@testable import Producers
import TickbusMarket

/// Bybit, Bitget and Gate on frames from their documentation (symbols adapted where the example used
/// another pair), exact values, control messages, and typed rejection of malformed frames.
@Suite("Venue adapters: Bybit, Bitget, Gate")
struct MoreAdapterTests {
    let received: Int64 = 1_700_000_000_123_456
    func ticks(_ events: [VenueEvent]) -> [Tick] { events.compactMap { if case .tick(let tick) = $0 { tick } else { nil } } }
    var btc: [Instrument] { [try! Instrument("BTC-USDT")] }

    @Test func bybitOrderbookAndTrades() throws {
        let adapter = BybitAdapter(instruments: btc)
        let book = #"{"topic":"orderbook.1.BTCUSDT","ts":1672304484978,"type":"snapshot","data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#
        let quote = try #require(ticks(try adapter.decode(.text(book), receiveTime: received)).first)
        #expect(quote.bid?.text == "16493.50")
        #expect(quote.bidSize?.text == "0.006")
        #expect(quote.ask?.text == "16611.00")
        #expect(quote.askSize?.text == "0.029")
        #expect(quote.venueTime == 1_672_304_484_976_000, "matching-engine time cts, not message time ts")
        let trades = #"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1672304486868,"data":[{"T":1672304486865,"s":"BTCUSDT","S":"Buy","v":"0.001","p":"16578.50","L":"PlusTick","i":"20f43950-d8dd-5b31-9112-a178eb6023af","BT":false}]}"#
        let trade = try #require(ticks(try adapter.decode(.text(trades), receiveTime: received)).first)
        #expect(trade.kind == .trade)
        #expect(trade.last?.text == "16578.50")
        #expect(trade.venueTime == 1_672_304_486_865_000)
        #expect(try adapter.decode(.text(#"{"success":true,"ret_msg":"subscribe","conn_id":"2324d924","req_id":"sub1","op":"subscribe"}"#), receiveTime: received) == [.subscribed("sub1")])
        #expect(try adapter.decode(.text(#"{"success":true,"ret_msg":"pong","conn_id":"2324d924","op":"ping"}"#), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text(#"{"success":false,"ret_msg":"error:handler not found,topic:orderbook.1.XXX","conn_id":"c","req_id":"sub1","op":"subscribe"}"#), receiveTime: received)
            == [.rejected("subscribe: error:handler not found,topic:orderbook.1.XXX")])
        #expect(adapter.subscribeFrames() == [.text(#"{"req_id":"sub1","op":"subscribe","args":["orderbook.1.BTCUSDT","publicTrade.BTCUSDT"]}"#)])
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"topic":"orderbook.1.BTCUSDT","ts":1,"data":{"s":"BTCUSDT","b":[["x","1"]],"a":[]}}"#), receiveTime: received)
        }
    }

    @Test func bitgetBooksAndTrades() throws {
        let adapter = BitgetAdapter(instruments: btc)
        let book = #"{"action":"snapshot","arg":{"instType":"SPOT","channel":"books1","instId":"BTCUSDT"},"data":[{"asks":[["26274.9","0.0009"]],"bids":[["26274.8","0.0009"]],"checksum":0,"seq":123,"ts":"1695710946294"}],"ts":1695710946294}"#
        let quote = try #require(ticks(try adapter.decode(.text(book), receiveTime: received)).first)
        #expect(quote.bid?.text == "26274.8")
        #expect(quote.ask?.text == "26274.9")
        #expect(quote.venueTime == 1_695_710_946_294_000)
        let history = #"{"action":"snapshot","arg":{"instType":"SPOT","channel":"trade","instId":"BTCUSDT"},"data":[{"ts":"1695709835822","price":"26293.4","size":"0.0013","side":"buy","tradeId":"1"}],"ts":1695709835822}"#
        #expect(ticks(try adapter.decode(.text(history), receiveTime: received)).isEmpty, "the replayed history is not live data")
        let update = history.replacingOccurrences(of: #""action":"snapshot""#, with: #""action":"update""#)
        let trade = try #require(ticks(try adapter.decode(.text(update), receiveTime: received)).first)
        #expect(trade.last?.text == "26293.4")
        #expect(trade.venueTime == 1_695_709_835_822_000)
        #expect(try adapter.decode(.text("pong"), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text(#"{"event":"subscribe","arg":{"instType":"SPOT","channel":"books1","instId":"BTCUSDT"}}"#), receiveTime: received) == [.subscribed("books1 BTCUSDT")])
        #expect(try adapter.decode(.text(#"{"event":"error","code":30001,"msg":"instType:SPOT,channel:books9,instId:BTCUSDT doesn't exist"}"#), receiveTime: received)
            == [.rejected("code 30001: instType:SPOT,channel:books9,instId:BTCUSDT doesn't exist")])
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"arg":{"channel":"books1","instId":"BTCUSDT"},"data":[{"asks":[],"bids":[],"ts":"1"}]}"#), receiveTime: received)
        }
    }

    @Test func gateBookTickerAndTrades() throws {
        let adapter = GateAdapter(instruments: btc)
        let book = #"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.book_ticker","event":"update","result":{"t":1606292218213,"u":48733182,"s":"BTC_USDT","b":"19177.79","B":"0.0003341504","a":"19179.38","A":"0.09"}}"#
        let quote = try #require(ticks(try adapter.decode(.text(book), receiveTime: received)).first)
        #expect(quote.venueSymbol == "BTC_USDT")
        #expect(quote.bid?.text == "19177.79")
        #expect(quote.bidSize?.text == "0.0003341504")
        #expect(quote.ask?.text == "19179.38")
        #expect(quote.venueTime == 1_606_292_218_213_000)
        let trades = #"{"time":1606292218,"time_ms":1606292218231,"channel":"spot.trades","event":"update","result":{"id":309143071,"create_time":1606292218,"create_time_ms":"1606292218213.4578","side":"sell","currency_pair":"BTC_USDT","amount":"16.4700000000","price":"0.4705000000","range":"2390902-2390902"}}"#
        let trade = try #require(ticks(try adapter.decode(.text(trades), receiveTime: received)).first)
        #expect(trade.last?.text == "0.4705000000")
        #expect(trade.venueTime == 1_606_292_218_213_457, "fractional milliseconds kept to the µs, exactly")
        #expect(try adapter.decode(.text(#"{"time":1606292218,"channel":"spot.book_ticker","event":"subscribe","error":null,"result":{"status":"success"}}"#), receiveTime: received) == [.subscribed("spot.book_ticker")])
        #expect(try adapter.decode(.text(#"{"time":1606292218,"channel":"spot.trades","event":"subscribe","error":{"code":2,"message":"unknown currency pair XYZ_USDT"},"result":null}"#), receiveTime: received)
            == [.rejected("spot.trades code 2: unknown currency pair XYZ_USDT")])
        #expect(try adapter.decode(.text(#"{"time":1,"channel":"spot.pong","event":"","error":null,"result":null}"#), receiveTime: received) == [.pong])
        #expect(adapter.subscribeFrames(at: 1_760_000_000_500_000).first == .text(#"{"time":1760000000,"channel":"spot.book_ticker","event":"subscribe","payload":["BTC_USDT"]}"#))
        #expect(GateAdapter.microseconds(fromMilliseconds: Array("12.".utf8)[...]) == 12_000)
        #expect(GateAdapter.microseconds(fromMilliseconds: Array("1.2.3".utf8)[...]) == nil)
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"channel":"spot.trades","event":"update","result":{"currency_pair":"BTC_USDT","price":"1","create_time_ms":"soon"}}"#), receiveTime: received)
        }
    }
}

/// Upbit and HTX on frames from their documentation: binary framing (JSON in binary frames, gzip), numbers
/// kept as sent, keepalives, errors.
@Suite("Venue adapters: Upbit, HTX")
struct BinaryFrameAdapterTests {
    let received: Int64 = 1_700_000_000_123_456
    func ticks(_ events: [VenueEvent]) -> [Tick] { events.compactMap { if case .tick(let tick) = $0 { tick } else { nil } } }
    func binary(_ text: String) -> WebSocketFrame { WebSocketFrame(opcode: .binary, bytes: Array(text.utf8)) }

    @Test func upbitOrderbookAndTradeInBinaryFrames() throws {
        let adapter = UpbitAdapter(instruments: [try Instrument("BTC-KRW"), try Instrument("USDT-KRW")])
        let book = #"{"type":"orderbook","code":"KRW-BTC","timestamp":1553853571184,"total_ask_size":36.90715747,"total_bid_size":29.12064978,"orderbook_units":[{"ask_price":4627000.0,"bid_price":4626000.0,"ask_size":1.40706623,"bid_size":3.57203617}],"stream_type":"SNAPSHOT"}"#
        let quote = try #require(ticks(try adapter.decode(binary(book), receiveTime: received)).first)
        #expect(quote.instrument == (try Instrument("BTC-KRW")))
        #expect(quote.venueSymbol == "KRW-BTC")
        #expect(quote.bid?.text == "4626000.0" && quote.ask?.text == "4627000.0")
        #expect(quote.bidSize?.text == "3.57203617" && quote.askSize?.text == "1.40706623")
        #expect(quote.venueTime == 1_553_853_571_184_000)
        let trade = #"{"type":"trade","code":"KRW-BTC","timestamp":1676965262177,"trade_date":"2023-02-21","trade_time":"07:41:02","trade_timestamp":1676965262000,"trade_price":31883000.0,"trade_volume":0.00096914,"ask_bid":"BID","prev_closing_price":31710000.0,"change":"RISE","change_price":173000.0,"sequential_id":1676965262139000,"stream_type":"REALTIME"}"#
        let last = try #require(ticks(try adapter.decode(binary(trade), receiveTime: received)).first)
        #expect(last.kind == .trade && last.last?.text == "31883000.0")
        #expect(last.venueTime == 1_676_965_262_177_000, "message time in ms, not the whole-second trade_timestamp")
        // The FX leg, and an empty bid side (price 0) dropped rather than quoted as 0.
        let leg = #"{"type":"orderbook","code":"KRW-USDT","timestamp":1691530805062000,"orderbook_units":[{"ask_price":1401.0,"bid_price":0,"ask_size":10.0,"bid_size":0}]}"#
        let fx = try #require(ticks(try adapter.decode(binary(leg), receiveTime: received)).first)
        #expect(fx.instrument == (try Instrument("USDT-KRW")))
        #expect(fx.bid == nil && fx.bidSize == nil && fx.ask?.text == "1401.0")
        #expect(fx.venueTime == 1_691_530_805_062_000, "a timestamp above 10^15 is already µs")
        #expect(try adapter.decode(binary(#"{"status":"UP"}"#), receiveTime: received) == [.pong])
        #expect(try adapter.decode(binary(#"{"error":{"name":"WRONG_FORMAT","message":"bad request"}}"#), receiveTime: received)
            == [.rejected("WRONG_FORMAT: bad request")])
        #expect(adapter.subscribeFrames(at: 42) == [.text(#"[{"ticket":"tickbus-42"},{"type":"orderbook","codes":["KRW-BTC.1","KRW-USDT.1"]},{"type":"trade","codes":["KRW-BTC","KRW-USDT"],"is_only_realtime":true},{"format":"DEFAULT"}]"#)])
        #expect(throws: VenueDecodeError.self) { try adapter.decode(binary(#"{"type":"orderbook","code":"KRW-ETH","timestamp":1,"orderbook_units":[]}"#), receiveTime: received) }
        #expect(throws: VenueDecodeError.self) { try adapter.decode(binary(#"{"type":"orderbook","code":"KRW-BTC","timestamp":"soon","orderbook_units":[]}"#), receiveTime: received) }
    }

    @Test func htxGzipFramesPingsAndHugeTradeIds() throws {
        let adapter = HTXAdapter(instruments: [try Instrument("BTC-USDT")])
        func gzip(_ text: String) -> WebSocketFrame { WebSocketFrame(opcode: .binary, bytes: HTXAdapter.gzip(text)) }
        let bbo = #"{"ch":"market.btcusdt.bbo","ts":1630982519433,"tick":{"seqId":137236413826,"ask":52037.38,"askSize":0.14,"bid":52037.37,"bidSize":1.186858,"quoteTime":1630982519432,"symbol":"btcusdt"}}"#
        let quote = try #require(ticks(try adapter.decode(gzip(bbo), receiveTime: received)).first)
        #expect(quote.bid?.text == "52037.37" && quote.ask?.text == "52037.38")
        #expect(quote.bidSize?.text == "1.186858" && quote.askSize?.text == "0.14")
        #expect(quote.venueTime == 1_630_982_519_432_000)
        #expect(quote.venueSymbol == "btcusdt")
        let trades = #"{"ch":"market.btcusdt.trade.detail","ts":1630994963175,"tick":{"id":137005445109,"ts":1630994963173,"data":[{"id":137005445109359286410323766,"ts":1630994963173,"tradeId":102523573486,"amount":0.006754,"price":52648.62,"direction":"buy"},{"id":137005445109359286410323767,"ts":1630994963174,"tradeId":102523573487,"amount":3.45E-4,"price":52648.63,"direction":"sell"}]}}"#
        let deals = ticks(try adapter.decode(gzip(trades), receiveTime: received))
        #expect(deals.map { $0.last?.text } == ["52648.62", "52648.63"])
        #expect(deals.map(\.venueTime) == [1_630_994_963_173_000, 1_630_994_963_174_000])
        #expect(try adapter.decode(gzip(#"{"ping":1492420473027}"#), receiveTime: received) == [.reply(.text(#"{"pong":1492420473027}"#))])
        #expect(try adapter.decode(gzip(#"{"id":"bbo-btcusdt","status":"ok","subbed":"market.btcusdt.bbo","ts":1489474081631}"#), receiveTime: received)
            == [.subscribed("market.btcusdt.bbo")])
        #expect(try adapter.decode(gzip(#"{"status":"error","err-code":"bad-request","err-msg":"invalid topic market.xxx.bbo","ts":1}"#), receiveTime: received)
            == [.rejected("bad-request: invalid topic market.xxx.bbo")])
        #expect(adapter.subscribeFrames() == [.text(#"{"sub":"market.btcusdt.bbo","id":"bbo-btcusdt"}"#),
                                             .text(#"{"sub":"market.btcusdt.trade.detail","id":"trade-btcusdt"}"#)])
        let notGzip = WebSocketFrame(opcode: .binary, bytes: Array(bbo.utf8))
        #expect(throws: VenueDecodeError.self) { try adapter.decode(notGzip, receiveTime: received) }
        #expect(throws: VenueDecodeError.self) { try adapter.decode(gzip(#"{"ch":"market.btcusdt.bbo","ts":1,"tick":{"ask":"x","bid":1}}"#), receiveTime: received) }
    }
}

/// KuCoin on frames from its documentation: welcome before subscribing, level1 and match (nanosecond
/// times), the bullet-public answer turned into a connection plan.
@Suite("Venue adapter: KuCoin")
struct KuCoinAdapterTests {
    let received: Int64 = 1_700_000_000_123_456
    let adapter = KuCoinAdapter(instruments: [try! Instrument("BTC-USDT")])
    func ticks(_ events: [VenueEvent]) -> [Tick] { events.compactMap { if case .tick(let tick) = $0 { tick } else { nil } } }

    @Test func level1AndMatchesDecodeExactly() throws {
        let level1 = #"{"type":"message","topic":"/spotMarket/level1:BTC-USDT","subject":"level1","data":{"asks":["9989","0.0123"],"bids":["9988","0.0456"],"timestamp":1586916222006}}"#
        let quote = try #require(ticks(try adapter.decode(.text(level1), receiveTime: received)).first)
        #expect(quote.bid?.text == "9988" && quote.bidSize?.text == "0.0456")
        #expect(quote.ask?.text == "9989" && quote.askSize?.text == "0.0123")
        #expect(quote.venueTime == 1_586_916_222_006_000)
        let match = #"{"type":"message","topic":"/market/match:BTC-USDT","subject":"trade.l3match","data":{"sequence":"1545896669145","type":"match","symbol":"BTC-USDT","side":"buy","price":"0.08200000000000000000","size":"0.01022222000000000000","tradeId":"5c24c5da03aa673885cd67aa","takerOrderId":"5c24c5d903aa6772d55b371e","makerOrderId":"5c2187d003aa677bd09d5c93","time":"1545913818099033203"}}"#
        let trade = try #require(ticks(try adapter.decode(.text(match), receiveTime: received)).first)
        #expect(trade.kind == .trade && trade.last?.text == "0.08200000000000000000")
        #expect(trade.venueTime == 1_545_913_818_099_033, "nanoseconds truncated to µs exactly")
        #expect(KuCoinAdapter.microseconds(fromNanoseconds: Array("12".utf8)[...]) == nil)
        #expect(KuCoinAdapter.microseconds(fromNanoseconds: Array("99999999999999999999".utf8)[...]) == nil, "beyond Int64")
    }

    @Test func controlMessagesAndSubscribeFrames() throws {
        #expect(adapter.subscribesAfterWelcome)
        #expect(try adapter.decode(.text(#"{"id":"hQvf8jkno","type":"welcome"}"#), receiveTime: received) == [.welcome])
        #expect(try adapter.decode(.text(#"{"id":"level1","type":"ack"}"#), receiveTime: received) == [.subscribed("level1")])
        #expect(try adapter.decode(.text(#"{"id":"tickbus","type":"pong"}"#), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text(#"{"id":"match","type":"error","code":404,"data":"topic /market/match:XYZ-USDT is not found"}"#), receiveTime: received)
            == [.rejected("code 404: topic /market/match:XYZ-USDT is not found")])
        #expect(adapter.subscribeFrames() == [
            .text(#"{"id":"level1","type":"subscribe","topic":"/spotMarket/level1:BTC-USDT","privateChannel":false,"response":true}"#),
            .text(#"{"id":"match","type":"subscribe","topic":"/market/match:BTC-USDT","privateChannel":false,"response":true}"#),
        ])
        #expect(throws: VenueDecodeError.self) {
            try adapter.decode(.text(#"{"type":"message","topic":"/market/match:BTC-USDT","data":{"symbol":"BTC-USDT","price":"1","time":"soon"}}"#), receiveTime: received)
        }
    }

    @Test func bulletAnswerBecomesTheConnectionPlan() throws {
        let bullet = #"{"code":"200000","data":{"token":"2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU64mdzUOPusi34M_wGoSf7iNyEWJ4aBZXpWhrmY9jKtqkdWoFa75w3istPvPtiYB9J6i9GjsxUuhPw3BlrzazF6ghq4L_f-7W0hZJhiGNBV9kwmrcnNFPbnVhBnWN6Q4qMbpJHhXHWw1J4P_Z6s0=.LCJjmlmcx1qZYmvGn0ORNQ==","instanceServers":[{"endpoint":"wss://ws-api-spot.kucoin.com/","encrypt":true,"protocol":"websocket","pingInterval":18000,"pingTimeout":10000}]}}"#
        let plan = try adapter.plan(fromBullet: Array(bullet.utf8), connectID: "c1")
        #expect(plan.url.hasPrefix("wss://ws-api-spot.kucoin.com/?token=2neAiuYvAU61ZDXANAGAsiL4-iAExhsBXZxftpOeh_55i3Ysy2q2LEsEWU64mdzUOPusi34M_wGoSf7iNyEWJ4aBZXpWhrmY9jKtqkdWoFa75w3istPvPtiYB9J6i9GjsxUuhPw3BlrzazF6ghq4L_f-7W0hZJhiGNBV9kwmrcnNFPbnVhBnWN6Q4qMbpJHhXHWw1J4P_Z6s0%3D.LCJjmlmcx1qZYmvGn0ORNQ%3D%3D"))
        #expect(plan.url.hasSuffix("&connectId=c1"))
        #expect(plan.heartbeat.keepalive == .clientFrame(.text(#"{"id":"tickbus","type":"ping"}"#), interval: .milliseconds(18000)))
        #expect(throws: ConnectionPreparationError.self) {
            try adapter.plan(fromBullet: Array(#"{"code":"400100","msg":"bad"}"#.utf8), connectID: "c1")
        }
    }
}

/// MEXC's protobuf push, on bytes assembled by hand from the published field numbers (not by the generated
/// code under test), and its JSON control messages.
@Suite("Venue adapter: MEXC")
struct MEXCAdapterTests {
    let received: Int64 = 1_700_000_000_123_456
    let adapter = MEXCAdapter(instruments: [try! Instrument("BTC-USDT")])
    func ticks(_ events: [VenueEvent]) -> [Tick] { events.compactMap { if case .tick(let tick) = $0 { tick } else { nil } } }

    /// Protobuf wire format: varints, and length-delimited fields (strings, messages).
    struct Wire {
        var bytes: [UInt8] = []
        mutating func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 { bytes.append(UInt8(value & 0x7F) | 0x80); value >>= 7 }
            bytes.append(UInt8(value))
        }
        mutating func integer(_ field: UInt64, _ value: Int64) { varint(field << 3); varint(UInt64(bitPattern: value)) }
        mutating func string(_ field: UInt64, _ text: String) { message(field, Array(text.utf8)) }
        mutating func message(_ field: UInt64, _ payload: [UInt8]) { varint(field << 3 | 2); varint(UInt64(payload.count)); bytes += payload }
    }

    @Test func bookTickerAndDealsFromWireBytes() throws {
        var book = Wire()
        book.string(1, "93387.28"); book.string(2, "3.73485"); book.string(3, "93387.29"); book.string(4, "7.669875")
        var push = Wire()
        push.string(1, "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT")
        push.message(315, book.bytes)
        push.string(3, "BTCUSDT")
        push.integer(5, 1_736_417_034_280)
        push.integer(6, 1_736_417_034_281)
        let quote = try #require(ticks(try adapter.decode(WebSocketFrame(opcode: .binary, bytes: push.bytes), receiveTime: received)).first)
        #expect(quote.bid?.text == "93387.28" && quote.bidSize?.text == "3.73485")
        #expect(quote.ask?.text == "93387.29" && quote.askSize?.text == "7.669875")
        #expect(quote.venueTime == 1_736_417_034_281_000, "sendTime when the book has no lastOrderCreateTime")
        #expect(quote.venueSymbol == "BTCUSDT")

        book.integer(6, 1_736_417_034_275)  // lastOrderCreateTime (2026-06 schema)
        var newer = Wire()
        newer.string(1, "spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT")
        newer.message(315, book.bytes)
        newer.string(3, "BTCUSDT")
        newer.integer(6, 1_736_417_034_281)
        let latest = try #require(ticks(try adapter.decode(WebSocketFrame(opcode: .binary, bytes: newer.bytes), receiveTime: received)).first)
        #expect(latest.venueTime == 1_736_417_034_275_000)

        func deal(_ price: String, _ time: Int64) -> [UInt8] {
            var item = Wire()
            item.string(1, price); item.string(2, "0.000152"); item.integer(3, 2); item.integer(4, time)
            return item.bytes
        }
        var deals = Wire()
        deals.message(1, deal("93402.13", 1_736_417_036_000)); deals.message(1, deal("93402.12", 1_736_417_036_012))
        deals.string(2, "spot@public.aggre.deals.v3.api.pb@10ms")
        var dealsPush = Wire()
        dealsPush.string(1, "spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT")
        dealsPush.message(314, deals.bytes)
        dealsPush.string(3, "BTCUSDT")
        dealsPush.integer(6, 1_736_417_036_020)
        let trades = ticks(try adapter.decode(WebSocketFrame(opcode: .binary, bytes: dealsPush.bytes), receiveTime: received))
        #expect(trades.map { $0.last?.text } == ["93402.13", "93402.12"])
        #expect(trades.map(\.venueTime) == [1_736_417_036_000_000, 1_736_417_036_012_000])
        #expect(MEXCAdapter.dealsPush(symbol: "BTCUSDT", deals: [("1.5", 7)], sendTime: 9).count > 0)
    }

    @Test func restFallbackURLAndAnswer() throws {
        #expect(MEXCAdapter.restURL(webSocketEndpoint: "wss://wbs-api.mexc.com/ws", symbols: ["BTCUSDT"])
            == "https://api.mexc.com/api/v3/ticker/bookTicker?symbol=BTCUSDT")
        #expect(MEXCAdapter.restURL(webSocketEndpoint: "ws://127.0.0.1:19500/mexc", symbols: ["BTCUSDT", "ETHUSDT"])
            == "http://127.0.0.1:19500/mexc/api/v3/ticker/bookTicker")
        let answer = #"{"symbol":"BTCUSDT","bidPrice":"93387.28","bidQty":"3.73485","askPrice":"93387.29","askQty":"7.669875"}"#
        let quote = try #require(ticks(try adapter.decodePoll(Array(answer.utf8), receiveTime: received)).first)
        #expect(quote.bid?.text == "93387.28" && quote.askSize?.text == "7.669875")
        #expect(quote.venueTime == nil, "the REST answer carries no time: ts_venue is null")
        let all = #"[{"symbol":"ETHUSDT","bidPrice":"1","bidQty":"1","askPrice":"2","askQty":"1"},\#(answer)]"#
        #expect(ticks(try adapter.decodePoll(Array(all.utf8), receiveTime: received)).map(\.venueSymbol) == ["BTCUSDT"])
        #expect(throws: VenueDecodeError.self) { try adapter.decodePoll(Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8), receiveTime: received) }
    }

    @Test func controlMessagesAndSubscribeFrame() throws {
        #expect(try adapter.decode(.text(#"{"id":0,"code":0,"msg":"spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT"}"#), receiveTime: received)
            == [.subscribed("spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT")])
        #expect(try adapter.decode(.text(#"{"id":0,"code":0,"msg":"PONG"}"#), receiveTime: received) == [.pong])
        #expect(try adapter.decode(.text(#"{"id":0,"code":100,"msg":"Not Subscribed successfully! [spot@x].  Reason： Blocked! "}"#), receiveTime: received)
            == [.rejected("code 100: Not Subscribed successfully! [spot@x].  Reason： Blocked! ")])
        #expect(adapter.subscribeFrames() == [.text(#"{"method":"SUBSCRIPTION","params":["spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT","spot@public.aggre.deals.v3.api.pb@10ms@BTCUSDT"]}"#)])
        #expect(throws: VenueDecodeError.self) { try adapter.decode(WebSocketFrame(opcode: .binary, bytes: [0x0A, 0xFF]), receiveTime: received) }
        let badPrice = MEXCAdapter.bookTickerPush(symbol: "BTCUSDT", bid: "x", bidQuantity: "1", ask: "1", askQuantity: "1", sendTime: 1)
        #expect(throws: VenueDecodeError.self) { try adapter.decode(WebSocketFrame(opcode: .binary, bytes: badPrice), receiveTime: received) }
    }
}
