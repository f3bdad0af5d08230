import Foundation
import SwiftProtobuf
public import TickbusMarket

/// MEXC spot v3: aggregated book ticker and deals at 10 ms (`spot@public.aggre.bookTicker.v3.api.pb@10ms@BTCUSDT`,
/// `…deals…`). Data frames are binary protobuf (`PushDataV3ApiWrapper`, decoded with the generated code in
/// `MEXC/`, schema in `Protos/mexc_push.proto`); acknowledgements and pongs are JSON text
/// (`{"id":0,"code":0,"msg":…}`). Only a `msg` equal to a requested channel acknowledges it: MEXC refuses a
/// channel with `code` 0 and `"Not Subscribed successfully! [channels].  Reason： Blocked! "` (JKorf/Mexc.Net
/// issue 35), which is a rejection whatever the code, as is any non-zero code. Prices are decimal strings,
/// kept as sent.
///
/// Venue time: the book ticker's `lastOrderCreateTime` when present (added 2026-06), else the wrapper's
/// `sendTime`, else `createTime`; a deal's own `time`. Keepalive: `{"method":"PING"}` every 20 s (the
/// server drops subscribed connections idle for a minute); connections live at most 24 h.
public struct MEXCAdapter: VenueAdapter {
    public let source = SourceID.mexc
    public let defaultEndpoint = "wss://wbs-api.mexc.com/ws"
    public let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text(#"{"method":"PING"}"#), interval: .seconds(20)),
                                         dataTimeout: .seconds(30), plannedReconnect: .seconds(23 * 3600))
    let symbols: SymbolTable
    /// The channels ``subscribeFrames()`` asks for: the only acknowledgements there are.
    let requestedChannels: Set<String>
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { "\($0.base)\($0.quote)" }
        requestedChannels = Set(symbols.instruments.flatMap { Self.channels(for: "\($0.base)\($0.quote)") })
    }

    static func channels(for symbol: String) -> [String] {
        ["spot@public.aggre.bookTicker.v3.api.pb@10ms@\(symbol)", "spot@public.aggre.deals.v3.api.pb@10ms@\(symbol)"]
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let channels = symbols.instruments.flatMap { Self.channels(for: "\($0.base)\($0.quote)") }
        return [.text(#"{"method":"SUBSCRIPTION","params":[\#(channels.map { "\"\($0)\"" }.joined(separator: ","))]}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        // Control messages are JSON text; data is protobuf (which never starts with `{`: field 1 is tag 0x0A).
        if frame.opcode == .text || frame.bytes.first == UInt8(ascii: "{") { return try control(frame) }
        let push: MEXCPushDataV3ApiWrapper
        do {
            push = try MEXCPushDataV3ApiWrapper(serializedBytes: frame.bytes)
        } catch {
            throw fail("not a PushDataV3ApiWrapper (\(error))")
        }
        let symbol = push.hasSymbol ? push.symbol : String(push.channel.split(separator: "@").last ?? "")
        guard let instrument = symbols.instrument(for: symbol) else { throw fail("missing or unsubscribed symbol '\(symbol)'") }
        let messageTime = push.hasSendTime ? push.sendTime : push.hasCreateTime ? push.createTime : 0
        switch push.body {
        case .publicAggreBookTicker(let book):
            let time = book.lastOrderCreateTime > 0 ? book.lastOrderCreateTime : messageTime
            guard time > 0, time < Int64.max / 1000 else { throw fail("book ticker without a time") }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(book.bidPrice, "bidPrice"), bidSize: DecimalText(book.bidQuantity),
                ask: try decimal(book.askPrice, "askPrice"), askSize: DecimalText(book.askQuantity),
                venueTime: time * 1000, receiveTime: receiveTime))]
        case .publicAggreDeals(let deals):
            guard !deals.deals.isEmpty else { throw fail("deals without a deal") }
            var events: [VenueEvent] = []
            events.reserveCapacity(deals.deals.count)
            for deal in deals.deals {
                guard deal.time > 0, deal.time < Int64.max / 1000 else { throw fail("deal without a time") }
                events.append(.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(deal.price, "price"), venueTime: deal.time * 1000, receiveTime: receiveTime)))
            }
            return events
        case nil:
            throw fail("push on '\(push.channel)' without a book ticker or deals body")
        }
    }

    // MARK: REST fallback

    /// After three WebSocket attempts without data, poll `GET /api/v3/ticker/bookTicker` every second for five
    /// minutes (quotes without a venue time: the REST answer has none).
    public var pollingFallback: PollingFallback? {
        let symbols = symbols.instruments.map { "\($0.base)\($0.quote)" }
        return PollingFallback(afterFailures: 3, duration: .seconds(300), interval: .seconds(1)) { endpoint in
            Self.restURL(webSocketEndpoint: endpoint, symbols: symbols)
        }
    }

    /// The REST book-ticker URL: api.mexc.com for the public WebSocket; for any other endpoint (a venue-sim)
    /// the same host and path over http(s).
    static func restURL(webSocketEndpoint endpoint: String, symbols: [String]) -> String {
        let base = endpoint == "wss://wbs-api.mexc.com/ws"
            ? "https://api.mexc.com"
            : endpoint.replacingOccurrences(of: "wss://", with: "https://").replacingOccurrences(of: "ws://", with: "http://")
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        // One symbol: that symbol's ticker; several: every symbol's, filtered when decoded.
        return trimmed + "/api/v3/ticker/bookTicker" + (symbols.count == 1 ? "?symbol=\(symbols[0])" : "")
    }

    /// `{"symbol":"BTCUSDT","bidPrice":"…","bidQty":"…","askPrice":"…","askQty":"…"}`, or an array of them.
    public func decodePoll(_ body: [UInt8], receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let root = try parseJSON(WebSocketFrame(opcode: .text, bytes: body)).root
        var events: [VenueEvent] = []
        for entry in root.kind == .array ? root.elements : [root] {
            guard let symbol = entry["symbol"]?.string else { throw fail("book ticker without 'symbol'") }
            guard let instrument = symbols.instrument(for: symbol) else { continue }
            events.append(.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(entry["bidPrice"], "bidPrice"), bidSize: entry["bidQty"]?.decimal,
                ask: try decimal(entry["askPrice"], "askPrice"), askSize: entry["askQty"]?.decimal,
                venueTime: nil, receiveTime: receiveTime)))
        }
        guard !events.isEmpty else { throw fail("book ticker answer without a subscribed symbol") }
        return events
    }

    private func control(_ frame: WebSocketFrame) throws(VenueDecodeError) -> [VenueEvent] {
        let message = try parseJSON(frame).root
        guard let code = message["code"]?.int64 else { throw fail("control message without 'code'") }
        let text = message["msg"]?.string ?? ""
        guard code == 0, !text.hasPrefix("Not Subscribed") else { return [.rejected("code \(code): \(text)")] }
        if text == "PONG" { return [.pong] }
        guard requestedChannels.contains(text) else { throw fail("control message '\(text)' acknowledges no requested channel") }
        return [.subscribed(text)]
    }

    private func decimal(_ text: String, _ name: String) throws(VenueDecodeError) -> DecimalText {
        guard let value = DecimalText(text) else { throw fail("field '\(name)' missing or not a decimal") }
        return value
    }

    // MARK: Frames as MEXC sends them (for the simulator and tests)

    /// A book ticker push, serialized.
    public static func bookTickerPush(symbol: String, bid: String, bidQuantity: String, ask: String, askQuantity: String,
                                      sendTime: Int64, lastOrderCreateTime: Int64 = 0) -> [UInt8] {
        var push = MEXCPushDataV3ApiWrapper()
        push.channel = channels(for: symbol)[0]
        push.symbol = symbol
        push.sendTime = sendTime
        var book = MEXCPublicAggreBookTickerV3Api()
        book.bidPrice = bid
        book.bidQuantity = bidQuantity
        book.askPrice = ask
        book.askQuantity = askQuantity
        book.lastOrderCreateTime = lastOrderCreateTime
        push.publicAggreBookTicker = book
        return (try? push.serializedBytes()) ?? []
    }

    /// A deals push with one deal per (price, time), serialized.
    public static func dealsPush(symbol: String, deals: [(price: String, time: Int64)], sendTime: Int64) -> [UInt8] {
        var push = MEXCPushDataV3ApiWrapper()
        push.channel = channels(for: symbol)[1]
        push.symbol = symbol
        push.sendTime = sendTime
        var body = MEXCPublicAggreDealsV3Api()
        body.eventType = channels(for: symbol)[1]
        body.deals = deals.map { deal in
            var item = MEXCPublicAggreDealsV3ApiItem()
            item.price = deal.price
            item.quantity = "0.001"
            item.tradeType = 1
            item.time = deal.time
            return item
        }
        push.publicAggreDeals = body
        return (try? push.serializedBytes()) ?? []
    }
}
