public import TickbusMarket

/// OKX v5 public: `bbo-tbt` (top of book every 10 ms when it changes, `ts` ms string) and `trades`.
/// `tickers` (best bid/ask and last, throttled to 100 ms) is not subscribed but decoded, for recorded data.
/// Keepalive is the bare text `ping` → `pong` (not JSON). The endpoint is on port 443: port 8443 stopped
/// accepting WebSocket connections on 2026-10-31 (docs/configuration.md, "Venue endpoints").
public struct OKXAdapter: VenueAdapter {
    public let source = SourceID.okx
    public let defaultEndpoint = "wss://ws.okx.com/ws/v5/public"
    /// OKX closes a connection after 30 s without traffic; ping every 20 s.
    public let heartbeat = HeartbeatRule(keepalive: .clientFrame(.text("ping"), interval: .seconds(20)), dataTimeout: .seconds(30))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }

    public init(instruments: [Instrument]) {
        symbols = SymbolTable(instruments) { $0.description }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        let arguments = symbols.instruments.flatMap { instrument in
            ["bbo-tbt", "trades"].map { #"{"channel":"\#($0)","instId":"\#(instrument.description)"}"# }
        }
        return [.text(#"{"id":"1","op":"subscribe","args":[\#(arguments.joined(separator: ","))]}"#)]
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        if frame.bytes == Array("pong".utf8) { return [.pong] }
        let message = try parseJSON(frame).root
        if let data = message["data"] {
            guard let argument = message["arg"], let channel = argument["channel"] else { throw fail("field 'arg.channel' missing") }
            guard let symbol = argument["instId"]?.string, let instrument = symbols.instrument(for: symbol) else {
                throw fail("missing or unsubscribed instId")
            }
            var events: [VenueEvent] = []
            for entry in data.elements {
                if channel.stringEquals("bbo-tbt") {
                    guard let bid = entry["bids"]?[0], let ask = entry["asks"]?[0] else { throw fail("bbo without bids/asks") }
                    events.append(.tick(Tick(
                        source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                        bid: try decimal(bid[0], "bids[0][0]"), bidSize: try decimal(bid[1], "bids[0][1]"),
                        ask: try decimal(ask[0], "asks[0][0]"), askSize: try decimal(ask[1], "asks[0][1]"),
                        venueTime: try milliseconds(entry["ts"], "ts"), receiveTime: receiveTime)))
                } else if channel.stringEquals("trades") {
                    events.append(.tick(Tick(
                        source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                        last: try decimal(entry["px"], "px"),
                        venueTime: try milliseconds(entry["ts"], "ts"), receiveTime: receiveTime)))
                } else if channel.stringEquals("tickers") {
                    events.append(.tick(Tick(
                        source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                        bid: try decimal(entry["bidPx"], "bidPx"), bidSize: entry["bidSz"]?.decimal,
                        ask: try decimal(entry["askPx"], "askPx"), askSize: entry["askSz"]?.decimal,
                        last: entry["last"]?.decimal,
                        venueTime: try milliseconds(entry["ts"], "ts"), receiveTime: receiveTime)))
                } else {
                    throw fail("unexpected channel '\(channel.string ?? "?")'")
                }
            }
            return events
        }
        guard let event = message["event"] else { throw fail("neither data nor event") }
        if event.stringEquals("subscribe") {
            return [.subscribed("\(message["arg"]?["channel"]?.string ?? "?") \(message["arg"]?["instId"]?.string ?? "")")]
        }
        if event.stringEquals("error") {
            return [.rejected("code \(message["code"]?.string ?? "?"): \(message["msg"]?.string ?? "")")]
        }
        if event.stringEquals("notice") {
            return [.reconnectRequested("notice \(message["code"]?.string ?? ""): \(message["msg"]?.string ?? "")")]
        }
        throw fail("unexpected event '\(event.string ?? "?")'")
    }
}
