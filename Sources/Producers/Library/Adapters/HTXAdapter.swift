import CompressNIO
import NIOCore
public import TickbusMarket

/// HTX (formerly Huobi) spot: `market.<symbol>.bbo` (tick-by-tick best bid/offer, `quoteTime` ms) and
/// `market.<symbol>.trade.detail` (one tick per trade, `ts` ms). Every server message is a binary frame of
/// gzip-compressed JSON; the client writes plain text. The server's `{"ping":N}` (every 5 s) must be answered
/// with `{"pong":N}` carrying the same number, or it disconnects after two. Trade `id`s have 26–27 digits;
/// they are skipped (the parser keeps numbers as text), `tradeId` is not needed for a tick.
public struct HTXAdapter: VenueAdapter {
    public let source = SourceID.htx
    public let defaultEndpoint = "wss://api.huobi.pro/ws"
    public let heartbeat = HeartbeatRule(keepalive: .serverPings, dataTimeout: .seconds(30))
    let symbols: SymbolTable
    public var instruments: [Instrument] { symbols.instruments }
    /// Largest decompressed message accepted (a bbo is ~200 bytes; a burst of trades a few KB).
    static let maximumMessage = 1 << 20

    public init(instruments: [Instrument]) {
        // BTC-USDT → btcusdt
        symbols = SymbolTable(instruments) { "\($0.base.lowercased())\($0.quote.lowercased())" }
    }

    public func subscribeFrames() -> [WebSocketFrame] {
        symbols.instruments.flatMap { instrument -> [WebSocketFrame] in
            let symbol = "\(instrument.base.lowercased())\(instrument.quote.lowercased())"
            return [.text(#"{"sub":"market.\#(symbol).bbo","id":"bbo-\#(symbol)"}"#),
                    .text(#"{"sub":"market.\#(symbol).trade.detail","id":"trade-\#(symbol)"}"#)]
        }
    }

    public func decode(_ frame: WebSocketFrame, receiveTime: Int64) throws(VenueDecodeError) -> [VenueEvent] {
        let json = frame.opcode == .binary ? try Self.gunzip(frame.bytes, source: source) : frame
        let message = try parseJSON(json).root
        guard message.kind == .object else { throw fail("message is not an object") }
        if let ping = message["ping"] {
            guard let number = ping.rawBytes, ping.int64 != nil else { throw fail("ping without a number") }
            return [.reply(.text("{\"pong\":\(String(decoding: number, as: UTF8.self))}"))]
        }
        if let status = message["status"] {
            if status.stringEquals("ok") { return [.subscribed(message["subbed"]?.string ?? message["id"]?.string ?? "ok")] }
            return [.rejected("\(message["err-code"]?.string ?? "error"): \(message["err-msg"]?.string ?? "")")]
        }
        guard let channel = message["ch"]?.string, let tick = message["tick"] else { throw fail("field 'ch' or 'tick' missing") }
        let parts = channel.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "market", let instrument = symbols.instrument(for: String(parts[1])) else {
            throw fail("unexpected channel '\(channel)'")
        }
        let symbol = String(parts[1])
        switch parts[2] {
        case "bbo":
            return [.tick(Tick(
                source: source, instrument: instrument, venueSymbol: symbol, kind: .quote,
                bid: try decimal(tick["bid"], "bid"), bidSize: tick["bidSize"]?.decimal,
                ask: try decimal(tick["ask"], "ask"), askSize: tick["askSize"]?.decimal,
                venueTime: try milliseconds(tick["quoteTime"], "quoteTime"), receiveTime: receiveTime))]
        case "trade.detail":
            guard let trades = tick["data"]?.elements, !trades.isEmpty else { throw fail("field 'data' missing or empty") }
            var events: [VenueEvent] = []
            events.reserveCapacity(trades.count)
            for trade in trades {
                events.append(.tick(Tick(
                    source: source, instrument: instrument, venueSymbol: symbol, kind: .trade,
                    last: try decimal(trade["price"], "price"),
                    venueTime: try milliseconds(trade["ts"], "ts"), receiveTime: receiveTime)))
            }
            return events
        default:
            throw fail("unexpected channel '\(channel)'")
        }
    }

    /// The JSON inside a gzip frame.
    static func gunzip(_ bytes: [UInt8], source: SourceID) throws(VenueDecodeError) -> WebSocketFrame {
        var compressed = ByteBuffer(bytes: bytes)
        do {
            let plain = try compressed.decompress(with: .gzip(), maxSize: maximumMessage)
            return WebSocketFrame(opcode: .text, bytes: Array(plain.readableBytesView))
        } catch {
            throw VenueDecodeError(source: source, reason: "not a gzip frame (\(error))")
        }
    }

    /// gzip of `text`, as HTX sends it (for the simulator and tests).
    public static func gzip(_ text: String) -> [UInt8] { gzip(Array(text.utf8)) }

    /// gzip of `bytes` (the simulator's corrupt frames need bytes that are not valid UTF-8).
    public static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var plain = ByteBuffer(bytes: bytes)
        let compressed = (try? plain.compress(with: .gzip())) ?? ByteBuffer()
        return Array(compressed.readableBytesView)
    }
}
