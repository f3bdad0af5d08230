/// One observation from a source (docs/topics.md): a quote, a trade or an oracle value, with the venue's
/// numbers exactly as sent and both clocks in microseconds since the epoch.
public struct Tick: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case quote, trade, oracle
    }

    public static let schemaVersion = 1

    public var source: SourceID
    public var instrument: Instrument
    /// The symbol as the venue spells it (`btcusdt`, `KRW-BTC`, `btc/usd`).
    public var venueSymbol: String
    public var kind: Kind
    public var bid: DecimalText?
    public var bidSize: DecimalText?
    public var ask: DecimalText?
    public var askSize: DecimalText?
    public var last: DecimalText?
    /// A more precise value when the source has one (Chainlink's 18-decimal fixed-point integer).
    public var exact: String?
    /// The venue's event time (µs), `nil` when the venue sends none (Binance bookTicker).
    public var venueTime: Int64?
    /// The producer host's receive time (µs).
    public var receiveTime: Int64
    /// Connection id: increments on each reconnect of this producer instance.
    public var connection: Int
    /// Gap-free per-producer-instance sequence.
    public var sequence: UInt64
    /// Producer instance id, stable for one process run.
    public var producer: String

    public init(
        source: SourceID, instrument: Instrument, venueSymbol: String, kind: Kind,
        bid: DecimalText? = nil, bidSize: DecimalText? = nil, ask: DecimalText? = nil, askSize: DecimalText? = nil,
        last: DecimalText? = nil, exact: String? = nil, venueTime: Int64?, receiveTime: Int64,
        connection: Int = 0, sequence: UInt64 = 0, producer: String = ""
    ) {
        self.source = source
        self.instrument = instrument
        self.venueSymbol = venueSymbol
        self.kind = kind
        self.bid = bid
        self.bidSize = bidSize
        self.ask = ask
        self.askSize = askSize
        self.last = last
        self.exact = exact
        self.venueTime = venueTime
        self.receiveTime = receiveTime
        self.connection = connection
        self.sequence = sequence
        self.producer = producer
    }

    /// `(bid + ask) / 2` when both are present, else `last`, else `nil` (the tick is stored but not priced).
    public var price: Double? {
        if let bid, let ask { return (bid.doubleValue + ask.doubleValue) / 2 }
        return last?.doubleValue
    }

    /// `venueTime` when present, else `receiveTime` (µs).
    public var eventTime: Int64 { venueTime ?? receiveTime }
}
