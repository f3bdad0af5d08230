import Foundation
import Producers
public import TickbusMarket

/// The wire protocol of one simulated source: how it answers client messages and what its data frames
/// look like (the same shapes the adapters decode; see venues.md).
public struct SimulatedProtocol: Sendable {
    /// Sources served at `/<source>` with the source's own (or RTDS's) protocol; `chainlink`,
    /// `chainlink_twap` and `pyth` over PolyBolt are served at `/polybolt` (``PolyBoltSimulator``).
    public static let supported: [SourceID] = [.binance, .coinbase, .okx, .chainlink, .bybit, .bitget, .gate, .upbit, .htx, .kucoin, .mexc, .binanceRTDS, .chainlinkTWAP]

    /// How the source frames what it sends.
    enum Framing {
        case text
        /// UTF-8 JSON in binary frames (Upbit).
        case binary
        /// gzip-compressed JSON in binary frames (HTX).
        case gzip
        /// JSON text for control messages, binary protobuf for data (MEXC; data frames are carried as base64
        /// here, decoded onto the wire).
        case protobuf
    }

    var framing: Framing {
        switch source {
        case .upbit: .binary
        case .htx: .gzip
        case .mexc: .protobuf
        default: .text
        }
    }

    /// The first message of a connection (KuCoin's welcome), before anything else.
    func greeting(connectID: String) -> String? {
        source == .kucoin ? #"{"id":"\#(connectID)","type":"welcome"}"# : nil
    }

    /// An application-level ping the server sends (HTX), and how often; the client must echo it.
    func serverPing(millis: Int64) -> String? {
        source == .htx ? #"{"ping":\#(millis)}"# : nil
    }

    enum Response {
        case none
        /// Frames to send; `subscribes` marks the subscription accepted (data starts).
        case reply([String], subscribes: Bool)
        case rejectAndClose(String)
    }

    public let source: SourceID
    /// Bitget's API: v3 (UTA) unless the connection's path has a `v2` segment (`/bitget/v2`).
    let bitgetAPI: BitgetAdapter.APIVersion

    /// The protocol of `source` as served at `path` (only Bitget's depends on it).
    public init?(source: SourceID, path: String = "") {
        guard Self.supported.contains(source) else { return nil }
        self.source = source
        bitgetAPI = BitgetAdapter.apiVersion(ofEndpoint: path)
    }

    func respond(to text: String, rejecting: Bool) -> Response {
        switch source {
        case .binance:
            guard text.contains("\"SUBSCRIBE\"") else { return .none }
            let id = Self.number(after: "\"id\":", in: text) ?? "1"
            if rejecting { return .rejectAndClose(#"{"error":{"code":2,"msg":"Invalid request: rejected by venue-sim"},"id":\#(id)}"#) }
            return .reply([#"{"result":null,"id":\#(id)}"#], subscribes: true)
        case .okx:
            if text == "ping" { return .reply(["pong"], subscribes: false) }
            guard text.contains("\"subscribe\"") else { return .none }
            if rejecting { return .rejectAndClose(#"{"event":"error","code":"60012","msg":"Invalid request: rejected by venue-sim","connId":"sim"}"#) }
            return .reply(["bbo-tbt", "trades"].map { #"{"event":"subscribe","arg":{"channel":"\#($0)","instId":"BTC-USDT"},"connId":"sim"}"# }, subscribes: true)
        case .coinbase:
            guard text.contains("\"subscribe\"") else { return .none }
            if rejecting { return .rejectAndClose(#"{"type":"error","message":"Failed to subscribe","reason":"rejected by venue-sim"}"#) }
            return .reply([#"{"type":"subscriptions","channels":[{"name":"ticker","product_ids":["BTC-USD","USDT-USD"]},{"name":"heartbeat","product_ids":["BTC-USD","USDT-USD"]}]}"#], subscribes: true)
        case .chainlink, .binanceRTDS, .chainlinkTWAP:
            if text == "PING" { return .reply(["PONG"], subscribes: false) }
            guard text.contains("\"subscribe\"") else { return .none }
            // RTDS sends no acknowledgement: data simply starts.
            if rejecting { return .rejectAndClose(#"{"message":"subscription rejected by venue-sim"}"#) }
            return .reply([], subscribes: true)
        case .bybit:
            if text.contains("\"ping\"") { return .reply([#"{"success":true,"ret_msg":"pong","conn_id":"sim","op":"ping"}"#], subscribes: false) }
            guard text.contains("\"subscribe\"") else { return .none }
            let id = text.range(of: #""req_id":""#).map { String(text[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
            if rejecting { return .rejectAndClose(#"{"success":false,"ret_msg":"error:rejected by venue-sim","conn_id":"sim","req_id":"\#(id)","op":"subscribe"}"#) }
            return .reply([#"{"success":true,"ret_msg":"subscribe","conn_id":"sim","req_id":"\#(id)","op":"subscribe"}"#], subscribes: true)
        case .bitget:
            if text == "ping" { return .reply(["pong"], subscribes: false) }
            guard text.contains("\"subscribe\"") else { return .none }
            if rejecting { return .rejectAndClose(#"{"event":"error","code":30001,"msg":"rejected by venue-sim"}"#) }
            // Each API takes only its own argument form (v3 `topic`/`symbol`, v2 `channel`/`instId`).
            switch bitgetAPI {
            case .v3:
                guard text.contains(#""topic""#) else { return .rejectAndClose(#"{"event":"error","code":30016,"msg":"param error: v3 expects topic and symbol"}"#) }
                return .reply(["books1", "publicTrade"].map { #"{"event":"subscribe","arg":{"instType":"spot","topic":"\#($0)","symbol":"BTCUSDT"}}"# }, subscribes: true)
            case .v2:
                guard text.contains(#""channel""#) else { return .rejectAndClose(#"{"event":"error","code":30016,"msg":"param error: v2 expects channel and instId"}"#) }
                return .reply(["books1", "trade"].map { #"{"event":"subscribe","arg":{"instType":"SPOT","channel":"\#($0)","instId":"BTCUSDT"}}"# }, subscribes: true)
            }
        case .upbit:
            if text == "PING" { return .reply([#"{"status":"UP"}"#], subscribes: false) }
            guard text.contains("\"ticket\"") else { return .none }
            // Upbit sends no acknowledgement: data simply starts.
            if rejecting { return .rejectAndClose(#"{"error":{"name":"INVALID_PARAM","message":"rejected by venue-sim"}}"#) }
            return .reply([], subscribes: true)
        case .htx:
            guard let topic = Self.quoted(after: #""sub":""#, in: text) else { return .none }
            let id = Self.quoted(after: #""id":""#, in: text) ?? ""
            if rejecting { return .rejectAndClose(#"{"status":"error","err-code":"bad-request","err-msg":"invalid topic \#(topic)","ts":0}"#) }
            return .reply([#"{"id":"\#(id)","status":"ok","subbed":"\#(topic)","ts":0}"#], subscribes: true)
        case .mexc:
            if text.contains(#""PING""#) { return .reply([#"{"id":0,"code":0,"msg":"PONG"}"#], subscribes: false) }
            guard text.contains(#""SUBSCRIPTION""#) else { return .none }
            let channels = text.components(separatedBy: "\"").filter { $0.hasPrefix("spot@") }
            // MEXC refuses with code 0 and the refused channels in the text (JKorf/Mexc.Net issue 35); the real
            // server then closes a connection left without a subscription after 30 s, venue-sim at once.
            if rejecting { return .rejectAndClose(#"{"id":0,"code":0,"msg":"Not Subscribed successfully! [\#(channels.joined(separator: ","))].  Reason： Blocked! "}"#) }
            return .reply(channels.map { #"{"id":0,"code":0,"msg":"\#($0)"}"# }, subscribes: true)
        case .kucoin:
            let id = Self.quoted(after: #""id":""#, in: text) ?? ""
            if text.contains(#""type":"ping""#) { return .reply([#"{"id":"\#(id)","type":"pong"}"#], subscribes: false) }
            guard text.contains(#""type":"subscribe""#) else { return .none }
            if rejecting { return .rejectAndClose(#"{"id":"\#(id)","type":"error","code":404,"data":"topic rejected by venue-sim"}"#) }
            return .reply([#"{"id":"\#(id)","type":"ack"}"#], subscribes: true)
        case .pyth:
            return .none  // PolyBolt only: ``PolyBoltSimulator``
        case .gate:
            guard text.contains("\"subscribe\"") else { return .none }
            let channel = text.contains("spot.trades") ? "spot.trades" : "spot.book_ticker"
            if rejecting { return .rejectAndClose(#"{"time":0,"channel":"\#(channel)","event":"subscribe","error":{"code":2,"message":"rejected by venue-sim"},"result":null}"#) }
            return .reply([#"{"time":0,"channel":"\#(channel)","event":"subscribe","error":null,"result":{"status":"success"}}"#], subscribes: true)
        }
    }

    /// A data frame quoting `mid` (in cents) and the price text a decoder must reproduce.
    public func dataFrame(mid: Int64, index: Int) -> (frame: String, price: String) {
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let bid = Self.dollars(mid - 1), ask = Self.dollars(mid + 1), last = Self.dollars(mid)
        switch source {
        case .binance:
            // Binance prints every price and quantity with 8 decimals.
            let (bid, ask, last) = (bid + "000000", ask + "000000", last + "000000")
            if index % 4 == 3 {
                return (#"{"e":"trade","E":\#(millis),"s":"BTCUSDT","t":\#(index),"p":"\#(last)","q":"0.00100000","T":\#(millis),"m":true,"M":true}"#, last)
            }
            return (#"{"u":\#(400_000_000 + index),"s":"BTCUSDT","b":"\#(bid)","B":"1.25000000","a":"\#(ask)","A":"0.75000000"}"#, bid)
        case .okx:
            if index % 4 == 3 {
                return (#"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"\#(index)","px":"\#(last)","sz":"0.01","side":"buy","ts":"\#(millis)","count":"1"}]}"#, last)
            }
            return (#"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["\#(ask)","0.5","0","1"]],"bids":[["\#(bid)","0.4","0","1"]],"ts":"\#(millis)","seqId":\#(index)}]}"#, bid)
        case .coinbase:
            let time = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
            if index % 5 == 4 {  // the FX leg
                return (#"{"type":"ticker","sequence":\#(index),"product_id":"USDT-USD","price":"1.0002","best_bid":"1.0001","best_bid_size":"5000","best_ask":"1.0003","best_ask_size":"4000","side":"buy","time":"\#(time)","trade_id":\#(index),"last_size":"10"}"#, "1.0001")
            }
            return (#"{"type":"ticker","sequence":\#(index),"product_id":"BTC-USD","price":"\#(last)","best_bid":"\#(bid)","best_bid_size":"0.5","best_ask":"\#(ask)","best_ask_size":"0.25","side":"buy","time":"\#(time)","trade_id":\#(index),"last_size":"0.01"}"#, bid)
        case .chainlink:
            let value = last + "1234"
            return (#"{"topic":"crypto_prices_chainlink","type":"update","timestamp":\#(millis + 1200),"connection_id":"sim","payload":{"symbol":"btc/usd","timestamp":\#(millis / 1000 * 1000),"value":\#(value),"full_accuracy_value":"\#(Self.e18(value))"}}"#, value)
        case .chainlinkTWAP:
            // RTDS's 60 s TWAP topic: the documented shape with `window_s`, observed at any millisecond.
            let value = Self.jsonFloat(last + "5")
            return (#"{"topic":"crypto_prices_twap_sixty","type":"update","timestamp":\#(millis + 1100),"payload":{"symbol":"btc/usd","value":\#(value),"full_accuracy_value":"\#(Self.e18(value))","timestamp":\#(millis),"window_s":60}}"#, value)
        case .pyth:
            // Served by ``PolyBoltSimulator``; the shape of its live frame, for the malformed-frame kinds.
            let value = Self.jsonFloat(last + "4321")
            return (#"{"v":1,"channel":"price.crypto","seq":1,"ts":\#(millis + 900),"payload":{"symbol":"btcusd","value":\#(value),"full_accuracy_value":"\#(last)4321","timestamp":\#(millis),"source":"pyth"}}"#, value)
        case .binanceRTDS:
            // The relayed Binance price is a JSON float (no trailing zeros, no exact value), observed at any
            // millisecond and published about a second later.
            let value = Self.jsonFloat(last)
            return (#"{"topic":"crypto_prices","type":"update","timestamp":\#(millis + 1100),"connection_id":"sim","payload":{"symbol":"btcusdt","timestamp":\#(millis),"value":\#(value)}}"#, value)
        case .bybit:
            if index % 4 == 3 {
                return (#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":\#(millis),"data":[{"T":\#(millis),"s":"BTCUSDT","S":"Buy","v":"0.001","p":"\#(last)","L":"PlusTick","i":"\#(index)","BT":false}]}"#, last)
            }
            return (#"{"topic":"orderbook.1.BTCUSDT","ts":\#(millis),"type":"snapshot","data":{"s":"BTCUSDT","b":[["\#(bid)","0.5"]],"a":[["\#(ask)","0.4"]],"u":\#(index + 1),"seq":\#(index)},"cts":\#(millis)}"#, bid)
        case .bitget where bitgetAPI == .v3:
            if index % 4 == 3 {
                return (#"{"action":"update","arg":{"instType":"spot","topic":"publicTrade","symbol":"BTCUSDT"},"data":[{"i":"\#(index)","p":"\#(last)","v":"0.01","S":"buy","T":"\#(millis)","L":"\#(index)","isRPI":"no"}],"ts":\#(millis)}"#, last)
            }
            return (#"{"action":"snapshot","arg":{"instType":"spot","topic":"books1","symbol":"BTCUSDT"},"data":[{"a":[["\#(ask)","0.4"]],"b":[["\#(bid)","0.5"]],"checksum":0,"seq":\#(index + 1),"pseq":\#(index),"ts":"\#(millis)"}],"ts":\#(millis)}"#, bid)
        case .bitget:
            if index % 4 == 3 {
                return (#"{"action":"update","arg":{"instType":"SPOT","channel":"trade","instId":"BTCUSDT"},"data":[{"ts":"\#(millis)","price":"\#(last)","size":"0.01","side":"buy","tradeId":"\#(index)"}],"ts":\#(millis)}"#, last)
            }
            return (#"{"action":"snapshot","arg":{"instType":"SPOT","channel":"books1","instId":"BTCUSDT"},"data":[{"asks":[["\#(ask)","0.4"]],"bids":[["\#(bid)","0.5"]],"checksum":0,"seq":\#(index),"ts":"\#(millis)"}],"ts":\#(millis)}"#, bid)
        case .gate:
            if index % 4 == 3 {
                return (#"{"time":\#(millis / 1000),"time_ms":\#(millis),"channel":"spot.trades","event":"update","result":{"id":\#(index),"create_time":\#(millis / 1000),"create_time_ms":"\#(millis).1234","side":"sell","currency_pair":"BTC_USDT","amount":"0.01","price":"\#(last)","range":"1-1"}}"#, last)
            }
            return (#"{"time":\#(millis / 1000),"time_ms":\#(millis),"channel":"spot.book_ticker","event":"update","result":{"t":\#(millis),"u":\#(index),"s":"BTC_USDT","b":"\#(bid)","B":"0.5","a":"\#(ask)","A":"0.4"}}"#, bid)
        case .upbit:
            // KRW at 1 400 per USD: BTC-KRW prices in whole won (mid is in cents), the USDT-KRW leg every fifth frame.
            if index % 5 == 4 {
                return (#"{"type":"orderbook","code":"KRW-USDT","timestamp":\#(millis),"total_ask_size":90000.0,"total_bid_size":80000.0,"orderbook_units":[{"ask_price":1401.0,"bid_price":1400.0,"ask_size":5000.0,"bid_size":4000.0}],"stream_type":"REALTIME","level":0}"#, "1400.0")
            }
            let bid = "\((mid - 1) * 14).0", ask = "\((mid + 1) * 14).0", last = "\(mid * 14).0"
            if index % 4 == 3 {
                return (#"{"type":"trade","code":"KRW-BTC","timestamp":\#(millis),"trade_date":"2026-01-01","trade_time":"00:00:00","trade_timestamp":\#(millis / 1000 * 1000),"trade_price":\#(last),"trade_volume":0.00096914,"ask_bid":"BID","prev_closing_price":90000000.0,"change":"RISE","change_price":1000000.0,"sequential_id":\#(millis * 1000 + Int64(index % 1000)),"stream_type":"REALTIME"}"#, last)
            }
            return (#"{"type":"orderbook","code":"KRW-BTC","timestamp":\#(millis),"total_ask_size":3.2,"total_bid_size":4.1,"orderbook_units":[{"ask_price":\#(ask),"bid_price":\#(bid),"ask_size":0.4,"bid_size":0.5}],"stream_type":"REALTIME","level":0}"#, bid)
        case .mexc:
            let frame = index % 4 == 3
                ? MEXCAdapter.dealsPush(symbol: "BTCUSDT", deals: [(last, millis)], sendTime: millis)
                : MEXCAdapter.bookTickerPush(symbol: "BTCUSDT", bid: bid, bidQuantity: "0.5", ask: ask, askQuantity: "0.4",
                                             sendTime: millis, lastOrderCreateTime: millis - 3)
            return (Data(frame).base64EncodedString(), index % 4 == 3 ? last : bid)
        case .kucoin:
            if index % 4 == 3 {
                return (#"{"type":"message","topic":"/market/match:BTC-USDT","subject":"trade.l3match","data":{"sequence":"\#(1_545_896_669_145 + index)","type":"match","symbol":"BTC-USDT","side":"buy","price":"\#(last)","size":"0.01","tradeId":"\#(index)","takerOrderId":"t","makerOrderId":"m","time":"\#(millis)123456"}}"#, last)
            }
            return (#"{"type":"message","topic":"/spotMarket/level1:BTC-USDT","subject":"level1","data":{"asks":["\#(ask)","0.4"],"bids":["\#(bid)","0.5"],"timestamp":\#(millis)}}"#, bid)
        case .htx:
            if index % 4 == 3 {
                return (#"{"ch":"market.btcusdt.trade.detail","ts":\#(millis),"tick":{"id":\#(index),"ts":\#(millis),"data":[{"id":137005445109359286410323766,"ts":\#(millis),"tradeId":\#(100_000_000_000 + index),"amount":0.006754,"price":\#(last),"direction":"buy"}]}}"#, last)
            }
            return (#"{"ch":"market.btcusdt.bbo","ts":\#(millis),"tick":{"seqId":\#(index),"ask":\#(ask),"askSize":0.14,"bid":\#(bid),"bidSize":1.186858,"quoteTime":\#(millis),"symbol":"btcusdt"}}"#, bid)
        }
    }

    func heartbeat() -> String? {
        guard source == .coinbase else { return nil }
        return #"{"type":"heartbeat","sequence":1,"last_trade_id":1,"product_id":"BTC-USD","time":"2026-01-01T00:00:00.000000Z"}"#
    }

    func malformedFrame() -> String {
        switch source {
        case .binance: #"{"u":1,"s":"BTCUSDT","b":"not-a-number","B":"1","a":"1","A":"1"}"#
        case .okx: #"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[],"#
        case .coinbase: #"{"type":"ticker","product_id":"BTC-USD","best_bid":"1","best_ask":"2","time":"yesterday"}"#
        case .bybit: #"{"topic":"orderbook.1.BTCUSDT","ts":1,"data":{"s":"BTCUSDT","b":[["x","1"]],"a":[]}}"#
        case .bitget: #"{"arg":{"channel":"books1","instId":"BTCUSDT"},"data":[{"asks":[],"bids":[],"ts":"1"}]}"#
        case .gate: #"{"channel":"spot.trades","event":"update","result":{"currency_pair":"BTC_USDT","price":"1","create_time_ms":"soon"}}"#
        case .upbit: #"{"type":"orderbook","code":"KRW-BTC","timestamp":"soon","orderbook_units":[]}"#
        case .htx: #"{"ch":"market.btcusdt.bbo","ts":1,"tick":{"ask":"x","bid":1}}"#
        case .kucoin: #"{"type":"message","topic":"/market/match:BTC-USDT","data":{"symbol":"BTC-USDT","price":"1","time":"soon"}}"#
        case .mexc: Data(MEXCAdapter.bookTickerPush(symbol: "BTCUSDT", bid: "x", bidQuantity: "1", ask: "1", askQuantity: "1", sendTime: 1)).base64EncodedString()
        case .chainlink: #"{"payload":{"symbol":"btc/usd","timestamp":"soon","value":true}}"#
        case .chainlinkTWAP: #"{"topic":"crypto_prices_twap_sixty","payload":{"symbol":"btc/usd","timestamp":"soon","value":true}}"#
        case .pyth: #"{"v":1,"channel":"price.crypto","seq":1,"payload":{"symbol":"btcusd","timestamp":"soon","value":true,"source":"pyth"}}"#
        case .binanceRTDS: #"{"topic":"crypto_prices","payload":{"symbol":"btcusdt","timestamp":"soon","value":true}}"#
        }
    }

    /// A decimal as the E18 fixed-point integer RTDS sends: `65001.661234` → `65001661234000000000000`.
    static func e18(_ decimal: String) -> String {
        let parts = decimal.split(separator: ".", maxSplits: 1)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = String(parts[0]) + fraction + String(repeating: "0", count: 18 - fraction.count)
        while digits.count > 1, digits.first == "0" { digits.removeFirst() }
        return digits
    }

    static func dollars(_ cents: Int64) -> String {
        let fraction = cents % 100
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A decimal as a JSON float prints it: `65000.10` → `65000.1`, `65000.00` → `65000`.
    static func jsonFloat(_ decimal: String) -> String {
        guard decimal.contains(".") else { return decimal }
        var text = Substring(decimal)
        while text.last == "0" { text = text.dropLast() }
        if text.last == "." { text = text.dropLast() }
        return String(text)
    }

    static func quoted(after marker: String, in text: String) -> String? {
        text.range(of: marker).map { String(text[$0.upperBound...].prefix { $0 != "\"" }) }
    }

    static func number(after marker: String, in text: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }
}
