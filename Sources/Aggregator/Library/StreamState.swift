import TickbusMarket

/// Total order of ticks inside a stream: event time, then receive time, then sequence. Ties in event time
/// are therefore broken by data, not arrival order, so any reordering of the input gives the same result.
struct TickOrder: Comparable {
    var eventTime: Int64
    var receiveTime: Int64
    var sequence: Int64

    static func < (lhs: TickOrder, rhs: TickOrder) -> Bool {
        (lhs.eventTime, lhs.receiveTime, lhs.sequence) < (rhs.eventTime, rhs.receiveTime, rhs.sequence)
    }
}

/// The priced ticks of one second of one stream, folded as they arrive (in any order).
struct SecondBucket {
    static let empty = SecondBucket()

    /// The second (in seconds since the epoch) this slot holds, `.min` when free.
    var second: Int64 = .min
    var count = 0
    var first = TickOrder(eventTime: .max, receiveTime: .max, sequence: .max)
    var firstPrice = 0.0
    var last = TickOrder(eventTime: .min, receiveTime: .min, sequence: .min)
    var lastPrice = 0.0
    var lastBid: Double?
    var lastAsk: Double?
    var high = -Double.infinity
    var low = Double.infinity

    @inline(__always)
    mutating func add(_ order: TickOrder, price: Double, bid: Double?, ask: Double?) {
        count += 1
        if order < first { first = order; firstPrice = price }
        if last < order { last = order; lastPrice = price; lastBid = bid; lastAsk = ask }
        if price > high { high = price }
        if price < low { low = price }
    }
}

/// The last priced tick of a stream, carried into seconds without ticks.
struct CarriedPrice {
    var price: Double
    var bid: Double?
    var ask: Double?
    var eventTime: Int64
}

/// A finalized snapshot kept for a few seconds: spreads and FX legs of the same second read it.
struct RecentSnapshot {
    var second: Int64 = .min
    var price = 0.0
    var priceUSD: Double?
    var ageMilliseconds: Int64 = 0
    var fxAssumed = false
}

/// The open (or ended, unresolved) 15-minute window of a stream.
struct WindowState {
    var start: Int64
    var end: Int64
    var open: Double
    var openTime: Int64
    var current: Double
    var currentTime: Int64
    var high: Double
    var low: Double
    var ticks: Int
    /// Longest gap so far (µs): start → first tick, tick → tick, last tick → end of the last final second.
    var maxGap: Int64

    init(start: Int64, length: Int64, bucket: SecondBucket) {
        self.start = start
        end = start + length
        open = bucket.firstPrice
        openTime = bucket.first.eventTime
        current = bucket.lastPrice
        currentTime = bucket.last.eventTime
        high = bucket.high
        low = bucket.low
        ticks = bucket.count
        maxGap = bucket.first.eventTime - start
    }

    mutating func fold(_ bucket: SecondBucket) {
        maxGap = max(maxGap, bucket.first.eventTime - currentTime)
        current = bucket.lastPrice
        currentTime = bucket.last.eventTime
        high = max(high, bucket.high)
        low = min(low, bucket.low)
        ticks += bucket.count
    }
}

/// Everything the engine knows about one source × instrument.
struct StreamState {
    let source: SourceID
    let instrument: Instrument
    let lateness: Int64
    let maxGap: Int64
    /// `false` for FX reference streams fed from a side input: tracked for valuation, never published.
    let emits: Bool
    /// Whether this stream is its source's instrument for spreads of its base asset.
    var spreadPrimary = false
    /// Interned base asset, so spread peers are found by integer comparison.
    var baseGroup = 0
    /// Pending seconds, slot `second & pendingMask`; grows when input runs far ahead of the clock (a
    /// partition read faster than the others while catching up).
    var ring: [SecondBucket]
    var pendingMask: Int64
    /// Recent snapshots, slot `second & ringMask`.
    let ringMask: Int64
    var pendingCount = 0
    /// Every second up to this one (seconds since the epoch) is final.
    var lastFinal: Int64
    var carried: CarriedPrice?
    var recent: [RecentSnapshot]
    var window: WindowState?

    init(source: SourceID, instrument: Instrument, lateness: Int64, maxGap: Int64, emits: Bool, ringSize: Int, lastFinal: Int64) {
        self.source = source
        self.instrument = instrument
        self.lateness = lateness
        self.maxGap = maxGap
        self.emits = emits
        ring = Array(repeating: .empty, count: ringSize)
        pendingMask = Int64(ringSize - 1)
        ringMask = Int64(ringSize - 1)
        recent = Array(repeating: RecentSnapshot(), count: ringSize)
        self.lastFinal = lastFinal
    }

    /// When the next second becomes final (µs of clock).
    @inline(__always)
    var nextFinalInstant: Int64 { (lastFinal + 2) * 1_000_000 + lateness }

    @inline(__always)
    mutating func add(second: Int64, order: TickOrder, price: Double, bid: Double?, ask: Double?) {
        if second - lastFinal > pendingMask { growPending(toCover: second - lastFinal) }
        let slot = Int(second & pendingMask)
        if ring[slot].second != second {
            ring[slot].second = second
            pendingCount += 1
        }
        ring[slot].add(order, price: price, bid: bid, ask: ask)
    }

    private mutating func growPending(toCover span: Int64) {
        var size = ring.count
        while Int64(size) <= span { size *= 2 }
        var grown = Array(repeating: SecondBucket.empty, count: size)
        for bucket in ring where bucket.second != .min { grown[Int(bucket.second & Int64(size - 1))] = bucket }
        ring = grown
        pendingMask = Int64(size - 1)
    }

    /// Takes the bucket of `second` out of the ring (nil when the second had no priced tick).
    mutating func takeBucket(_ second: Int64) -> SecondBucket? {
        let slot = Int(second & pendingMask)
        guard ring[slot].second == second else { return nil }
        let bucket = ring[slot]
        ring[slot] = .empty
        pendingCount -= 1
        return bucket
    }

    func recentSnapshot(at second: Int64) -> RecentSnapshot? {
        guard second <= lastFinal else { return nil }
        let entry = recent[Int(second & ringMask)]
        return entry.second == second ? entry : nil
    }

    /// No work until a tick arrives: nothing pending, carry expired and no live window.
    func isIdle(carryLimit: Int64) -> Bool {
        guard pendingCount == 0 else { return false }
        let nextEnd = (lastFinal + 2) * 1_000_000
        if let carried, nextEnd - carried.eventTime <= carryLimit { return false }
        if let window, nextEnd - 1_000_000 < window.end { return false }
        return true
    }
}

@inline(__always)
func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
    let quotient = value / divisor
    return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient
}
