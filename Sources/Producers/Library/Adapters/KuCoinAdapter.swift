import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import TickbusMarket

/// KuCoin spot (classic push): `/spotMarket/level1` (best bid/ask, `timestamp` ms) and `/market/match` (every
/// trade, `time` in nanoseconds as a string, converted to µs exactly by dropping the last three digits).
/// `/market/ticker` (recorded data: best bid/ask and last, `time` ms) decodes too.
///
/// The WebSocket URL is not fixed: before every connection `POST <endpoint>/api/v1/bullet-public` returns a
/// token (valid for one connection's life), the server to use and its ping interval, so the configured
/// endpoint is the REST base (`https://api.kucoin.com`, or a venue-sim's `http://127.0.0.1:PORT/kucoin`).
/// The server greets with `{"type":"welcome"}`; subscriptions go out only after it. Keepalive: JSON
/// `{"type":"ping"}` every `pingInterval`, answered with `pong`.
public struct KuCoinAdapter: VenueAdapter {
    public let source = SourceID.kucoin
    public let defaultEndpoint = "https://api.kucoin.com"
    /// Used until a bullet answer says otherwise (its `pingInterval` is typically 18 s).
    public let heartbeat = HeartbeatRule(keepalive: .clientFrame(Self.ping, interval: .seconds(18)), dataTimeout: .seconds(30),
                                         plannedReconnect: .seconds(23 * 3600))
    public let subscribesAfterWelcome = true
    static let ping = WebSocketFrame.text(#"{"id":"tickbus","type":"ping"}"#)
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { "\($0.base)-\($0.quote)" }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let list = symbols.instruments.map { "\($0.base)-\($0.quote)" }.joined(separator: ",")
        return [("level1", "/spotMarket/level1:\(list)"), ("match", "/market/match:\(list)")].map { id, topic in
            .text(#"{"id":"\#(id)","type":"subscribe","topic":"\#(topic)","privateChannel":false,"response":true}"#)
        }
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let message = try parseJSON(frame).root
        guard let type = message["type"]?.string else { throw fail("field 'type' missing") }
        switch type {
        case "welcome": return [.welcome]
        case "pong": return [.pong]
        case "ack": return [.subscribed(message["id"]?.string ?? "ack")]
        case "error":
            let detail = message["data"]?.string ?? message["msg"]?.string ?? ""
            return [.rejected("code \(message["code"]?.int64 ?? 0): \(detail)")]
        case "message":
            break
        default:
            throw fail("unexpected type '\(type)'")
        }
        guard let topic = message["topic"]?.string, let data = message["data"],
              let colon = topic.firstIndex(of: ":") else { throw fail("field 'topic' or 'data' missing") }
        let channel = topic[..<colon]
        switch channel {
        case "/spotMarket/level1":
            let symbol = String(topic[topic.index(after: colon)...])
            guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed symbol '\(symbol)'") }
            let bid = data["bids"]?.elements ?? [], ask = data["asks"]?.elements ?? []
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(bid.first, "bids[0]"), bidSize: bid.count > 1 ? bid[1].decimal : nil,
                ask: try decimal(ask.first, "asks[0]"), askSize: ask.count > 1 ? ask[1].decimal : nil,
                venueTime: try milliseconds(data["timestamp"], "timestamp"), receiveTime: receiveTime))]
        case "/market/match":
            guard let symbol = data["symbol"]?.string, let instrument = symbols.instrument(for: symbol) else {
                throw fail("missing or unsubscribed symbol")
            }
            guard let time = data["time"]?.rawBytes.flatMap(Self.microseconds(fromNanoseconds:)) else {
                throw fail("field 'time' missing or not nanoseconds")
            }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                last: try decimal(data["price"], "price"), venueTime: time, receiveTime: receiveTime))]
        case "/market/ticker":
            // Not subscribed (recorded data): best bid/ask with sizes and the last trade, at `time` (ms; the
            // docs' example spells it `Time`). `/market/ticker:all` names the symbol in `subject`.
            var symbol = String(topic[topic.index(after: colon)...])
            if symbol == "all", let subject = message["subject"]?.string { symbol = subject }
            guard let instrument = symbols.instrument(for: symbol) else { throw fail("unsubscribed symbol '\(symbol)'") }
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(data["bestBid"], "bestBid"), bidSize: data["bestBidSize"]?.decimal,
                ask: try decimal(data["bestAsk"], "bestAsk"), askSize: data["bestAskSize"]?.decimal,
                last: data["price"]?.decimal,
                venueTime: try milliseconds(data["time"] ?? data["Time"], "time"), receiveTime: receiveTime))]
        default:
            throw fail("unexpected topic '\(topic)'")
        }
    }

    /// "1545913818099033203" ns → 1545913818099033 µs (truncated, integer arithmetic only).
    static func microseconds(fromNanoseconds digits: ArraySlice<UInt8>) -> Int64? {
        guard digits.count > 3, digits.count <= 19, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        var value: Int64 = 0
        for byte in digits.dropLast(3) { value = value * 10 + Int64(byte - 48) }
        return value > 0 ? value : nil
    }

    // MARK: Token and server (bullet-public)

    public func prepareConnection(endpoint: String) async throws(ConnectionPreparationError) -> ConnectionPlan {
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        guard let url = URL(string: base + "/api/v1/bullet-public") else {
            throw ConnectionPreparationError("kucoin: endpoint '\(endpoint)' is not a URL")
        }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.httpMethod = "POST"
        let body: Data, response: URLResponse
        do {
            (body, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ConnectionPreparationError("kucoin: token request to \(url.host ?? base) failed: \(error.localizedDescription)")
        }
        let http = response as? HTTPURLResponse
        guard http?.statusCode == 200 else {
            throw ConnectionPreparationError(status: http?.statusCode ?? 0, headers: http?.allHeaderFields ?? [:], what: "kucoin: token request")
        }
        return try plan(fromBullet: Array(body), connectID: "tickbus-\(UInt32.random(in: 1...UInt32.max))")
    }

    /// The connection plan in a bullet-public answer: `<endpoint>?token=…&connectId=…`, ping every `pingInterval`.
    func plan(fromBullet body: [UInt8], connectID: String) throws(ConnectionPreparationError) -> ConnectionPlan {
        let document: JSONDocument
        do { document = try JSONDocument(parsing: body) } catch { throw ConnectionPreparationError("kucoin: token answer is not JSON") }
        let root = document.root
        guard root["code"]?.string == "200000", let data = root["data"], let token = data["token"]?.string,
              let server = data["instanceServers"]?.elements.first, let endpoint = server["endpoint"]?.string else {
            throw ConnectionPreparationError("kucoin: token answer without code 200000, token or server (code \(root["code"]?.string ?? "none"))")
        }
        let interval = server["pingInterval"]?.int64.map { Duration.milliseconds($0) } ?? .seconds(18)
        let separator = endpoint.contains("?") ? "&" : "?"
        let encodedToken = token.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? token
        return ConnectionPlan(
            url: "\(endpoint)\(separator)token=\(encodedToken)&connectId=\(connectID)",
            heartbeat: HeartbeatRule(keepalive: .clientFrame(Self.ping, interval: interval), dataTimeout: heartbeat.dataTimeout,
                                     plannedReconnect: heartbeat.plannedReconnect))
    }
}
