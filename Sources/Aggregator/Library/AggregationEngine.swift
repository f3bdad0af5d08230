public import TickbusMarket

/// The aggregation rules of docs/aggregator.md as a deterministic state machine over ticks and a clock.
///
/// Ticks go in with ``ingest(line:)`` (JSON bytes) or ``ingest(_:)``; records come out of ``takeRecords()``.
/// The clock is the highest event time ingested (replay) and can be pushed by the caller (``advanceClock(to:)``,
/// the wall clock when `run` is idle). Second `S` of a stream with lateness `L` is final once the clock reaches
/// `(S+1) s + L`; finalization happens in a fixed order — by that instant, then by stream (FX legs first, then
/// source id, then instrument) — so any reordering of the input within the lateness, and any split of it into
/// batches, gives the same records in the same order.
public struct AggregationEngine: Sendable {
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// No price (neither both sides nor `last`): stored by the sink, ignored here.
        case unpriced
        /// For a second that was already final.
        case late
        /// Event time beyond the caller's bound (a venue clock far ahead would otherwise drag the clock along).
        case future
        case invalid(String)
    }

    public struct Counters: Sendable, Equatable {
        public var accepted = 0
        public var unpriced = 0
        public var late = 0
        public var invalid = 0
        public var future = 0
        /// FX side-input ticks folded into the reference streams.
        public var reference = 0
        public var lateBySource = Array(repeating: 0, count: SourceID.allCases.count)
        public var snapshots = 0
        public var windows = 0
        public var spreads = 0
    }

    public let configuration: AggregatorConfiguration
    /// µs since the epoch; `.min` before the first tick.
    public private(set) var clock: Int64 = .min
    public private(set) var counters = Counters()
    /// Windows starting earlier are not published: after a rebuild that began reading at this time, their
    /// open may not have been seen. Default: none suppressed.
    public var suppressWindowsBefore: Int64 = .min
    private var records: [AggregateRecord] = []

    private let carryLimit: Int64
    private let windowLength: Int64
    private let ringSize: Int
    private let fxFromSideInput: Bool
    private var streams: [StreamState] = []
    /// Finalization order (indices into `streams`).
    private var order: [Int] = []
    /// Per source index: instrument bytes → stream, for published streams and for FX reference streams.
    private var lookup = Array(repeating: [(bytes: [UInt8], index: Int)](), count: SourceID.allCases.count)
    private var referenceLookup = Array(repeating: [(bytes: [UInt8], index: Int)](), count: SourceID.allCases.count)
    private var baseGroups: [String: Int] = [:]
    /// Per configured FX leg: the stream valuing it.
    private var legStreams: [Int?]
    /// Lower bound of every non-idle stream's next finalization instant: skips the scan on most ticks.
    private var nextInstant = Int64.max

    /// - Parameter fxFromSideInput: FX legs are valued from ``ingestReference(line:)`` (an instance of a
    ///   group that may not own the legs' partitions) instead of from the published streams.
    public init(configuration: AggregatorConfiguration = AggregatorConfiguration(), fxFromSideInput: Bool = false) {
        self.configuration = configuration
        carryLimit = configuration.carryLimit.microseconds
        windowLength = configuration.windowLength.microseconds
        let latenessSeconds = Int(max(configuration.venueLateness, configuration.oracleLateness).microseconds / 1_000_000)
        var size = 8
        while size < latenessSeconds + 4 { size *= 2 }
        ringSize = size
        self.fxFromSideInput = fxFromSideInput
        legStreams = Array(repeating: nil, count: configuration.fxLegs.count)
    }

    /// Hands out the records produced so far.
    public mutating func takeRecords() -> [AggregateRecord] {
        var taken: [AggregateRecord] = []
        swap(&taken, &records)
        return taken
    }

    public var hasRecords: Bool { !records.isEmpty }

    /// Streams tracked, seconds pending finalization and open windows.
    public var stateSize: (streams: Int, pendingSeconds: Int, openWindows: Int) {
        streams.reduce(into: (streams.count, 0, 0)) { size, stream in
            size.1 += stream.pendingCount
            if stream.window != nil { size.2 += 1 }
        }
    }

    // MARK: Input

    /// Reads a tick's JSON and folds it in; advances the clock to its event time. Ticks whose event time is
    /// after `notAfter` are refused as ``Outcome/future``.
    ///
    /// With `movesClock: false` the caller owns the clock (``advanceClock(to:)``): `run` holds it at the
    /// slowest partition's event time while catching up, since partitions are not read in time order.
    public mutating func ingest(line: UnsafeBufferPointer<UInt8>, notAfter: Int64 = .max, movesClock: Bool = true) -> Outcome {
        ingest(line: line, reference: false, notAfter: notAfter, movesClock: movesClock)
    }

    /// Event time of the last tick read (any outcome but invalid).
    public private(set) var lastEventTime: Int64 = .min

    /// A tick from the FX side input: values FX legs only, never moves the clock, never published.
    public mutating func ingestReference(line: UnsafeBufferPointer<UInt8>) -> Outcome {
        ingest(line: line, reference: true, notAfter: .max, movesClock: false)
    }

    public mutating func ingest(_ tick: Tick) -> Outcome {
        var bytes = Array(tick.instrument.description.utf8)
        return bytes.withUnsafeMutableBufferPointer { instrument in
            ingest(
                source: tick.source, instrument: UnsafeBufferPointer(instrument), price: tick.price,
                bid: tick.bid?.doubleValue, ask: tick.ask?.doubleValue,
                order: TickOrder(eventTime: tick.eventTime, receiveTime: tick.receiveTime, sequence: Int64(clamping: tick.sequence)),
                reference: false, movesClock: true)
        }
    }

    private mutating func ingest(line: UnsafeBufferPointer<UInt8>, reference: Bool, notAfter: Int64, movesClock: Bool) -> Outcome {
        let tick: ScannedTick
        do { tick = try TickScanner.scan(line) } catch {
            counters.invalid += 1
            return .invalid(error.description)
        }
        lastEventTime = tick.eventTime
        guard tick.eventTime <= notAfter else {
            counters.future += 1
            return .future
        }
        return ingest(
            source: tick.source, instrument: UnsafeBufferPointer(rebasing: line[tick.instrumentRange]), price: tick.price,
            bid: tick.bid, ask: tick.ask,
            order: TickOrder(eventTime: tick.eventTime, receiveTime: tick.receiveTime, sequence: tick.sequence),
            reference: reference, movesClock: movesClock)
    }

    private mutating func ingest(
        source: SourceID, instrument: UnsafeBufferPointer<UInt8>, price: Double?, bid: Double?, ask: Double?,
        order: TickOrder, reference: Bool, movesClock: Bool
    ) -> Outcome {
        guard let price, price.isFinite, price > 0 else {
            counters.unpriced += 1
            return .unpriced
        }
        let second = floorDivide(order.eventTime, 1_000_000)
        var index = find(source: source, instrument: instrument, reference: reference)
        if index == nil {
            let made = makeStream(source: source, instrumentBytes: instrument, eventTime: order.eventTime, reference: reference)
            guard let created = made.index else { return made.rejection }
            index = created
        }
        guard let index else { return .unpriced }
        if movesClock && order.eventTime > clock { advanceClock(to: order.eventTime) }
        guard second > streams[index].lastFinal else {
            counters.late += 1
            counters.lateBySource[source.index] += 1
            return .late
        }
        streams[index].add(second: second, order: order, price: price, bid: bid, ask: ask)
        nextInstant = min(nextInstant, streams[index].nextFinalInstant)
        if reference { counters.reference += 1 } else { counters.accepted += 1 }
        return .accepted
    }

    @inline(__always)
    private func find(source: SourceID, instrument: UnsafeBufferPointer<UInt8>, reference: Bool) -> Int? {
        let candidates = reference ? referenceLookup[source.index] : lookup[source.index]
        for candidate in candidates where candidate.bytes.count == instrument.count {
            if candidate.bytes.withUnsafeBufferPointer({ $0.elementsEqual(instrument) }) { return candidate.index }
        }
        return nil
    }

    private mutating func makeStream(
        source: SourceID, instrumentBytes: UnsafeBufferPointer<UInt8>, eventTime: Int64, reference: Bool
    ) -> (index: Int?, rejection: Outcome) {
        let instrument: Instrument
        do { instrument = try Instrument(String(decoding: instrumentBytes, as: UTF8.self)) } catch {
            counters.invalid += 1
            return (nil, .invalid(error.description))
        }
        let legIndex = configuration.fxLegs.firstIndex { $0.source == source && $0.instrument == instrument }
        if reference && legIndex == nil { return (nil, .unpriced) }
        let lateness = configuration.lateness(of: source).microseconds
        // Seconds before the first tick are final as far as the clock allows (they are empty either way),
        // so a reordered first second is not mistaken for a late one.
        let lastFinal = finalThrough(clock: max(clock, eventTime), lateness: lateness)
        var stream = StreamState(
            source: source, instrument: instrument, lateness: lateness,
            maxGap: configuration.maxGap(of: source).microseconds, emits: !reference,
            ringSize: ringSize, lastFinal: lastFinal)
        if baseGroups[instrument.base] == nil { baseGroups[instrument.base] = baseGroups.count }
        stream.baseGroup = baseGroups[instrument.base]!
        let index = streams.count
        streams.append(stream)
        let bytes = Array(instrumentBytes)
        if reference { referenceLookup[source.index].append((bytes, index)) } else { lookup[source.index].append((bytes, index)) }
        if let legIndex, reference == fxFromSideInput { legStreams[legIndex] = index }
        let sortKeys = streams.map { (isLeg($0) ? 0 : 1, $0.source.rawValue, $0.instrument.description, $0.emits ? 1 : 0) }
        order = streams.indices.sorted { sortKeys[$0] < sortKeys[$1] }
        electSpreadPrimary(source: source, baseGroup: stream.baseGroup)
        return (index, .accepted)
    }

    private func isLeg(_ stream: StreamState) -> Bool {
        configuration.fxLegs.contains { $0.source == stream.source && $0.instrument == stream.instrument }
    }

    /// One instrument per source and base takes part in spreads: the best-ranked quote (USD, USDT, USDC, KRW,
    /// then alphabetical), so pairs stay keyed by source and base.
    private mutating func electSpreadPrimary(source: SourceID, baseGroup: Int) {
        func rank(_ quote: String) -> (Int, String) {
            (["USD": 0, "USDT": 1, "USDC": 2, "KRW": 3][quote] ?? 4, quote)
        }
        let candidates = streams.indices.filter { streams[$0].emits && streams[$0].source == source && streams[$0].baseGroup == baseGroup }
        let best = candidates.min { rank(streams[$0].instrument.quote) < rank(streams[$1].instrument.quote) }
        for candidate in candidates { streams[candidate].spreadPrimary = candidate == best }
    }

    // MARK: Clock and finalization

    /// Moves the clock forward (never back) and finalizes every second that becomes final.
    public mutating func advanceClock(to newClock: Int64) {
        guard newClock > clock else { return }
        if newClock >= nextInstant { finalize(clock: newClock, throughSecond: nil) }
        clock = newClock
    }

    /// End of input: finalizes every stream through the second of the highest event time seen.
    public mutating func finish() {
        guard clock != .min else { return }
        finalize(clock: clock, throughSecond: floorDivide(clock, 1_000_000))
    }

    @inline(__always)
    private func finalThrough(clock: Int64, lateness: Int64) -> Int64 {
        floorDivide(clock - lateness, 1_000_000) - 1
    }

    private mutating func finalize(clock newClock: Int64, throughSecond limit: Int64?) {
        while true {
            var best = -1
            var bestInstant = Int64.max
            for index in order where !streams[index].isIdle(carryLimit: carryLimit) {
                let instant = streams[index].nextFinalInstant
                let eligible = limit.map { streams[index].lastFinal < $0 } ?? (instant <= newClock)
                if eligible && instant < bestInstant {
                    best = index
                    bestInstant = instant
                }
            }
            guard best >= 0 else { break }
            finalizeNextSecond(of: best)
        }
        nextInstant = .max
        for index in streams.indices {
            if streams[index].isIdle(carryLimit: carryLimit) {
                let target = limit ?? finalThrough(clock: newClock, lateness: streams[index].lateness)
                if target > streams[index].lastFinal { streams[index].lastFinal = target }
            } else {
                nextInstant = min(nextInstant, streams[index].nextFinalInstant)
            }
        }
    }

    private mutating func finalizeNextSecond(of index: Int) {
        let second = streams[index].lastFinal + 1
        let secondEnd = (second + 1) * 1_000_000
        let bucket = streams[index].takeBucket(second)
        streams[index].lastFinal = second
        if let bucket {
            streams[index].carried = CarriedPrice(price: bucket.lastPrice, bid: bucket.lastBid, ask: bucket.lastAsk, eventTime: bucket.last.eventTime)
        }
        if let carried = streams[index].carried, secondEnd - carried.eventTime <= carryLimit {
            emitSnapshot(of: index, second: second, carried: carried, bucket: bucket)
        }
        if streams[index].emits { updateWindow(of: index, second: second, bucket: bucket) }
    }

    private mutating func emitSnapshot(of index: Int, second: Int64, carried: CarriedPrice, bucket: SecondBucket?) {
        let secondEnd = (second + 1) * 1_000_000
        let quote = streams[index].instrument.quote
        let rate = fxRate(of: quote, second: second, excludingLeg: nil, depth: 0)
        let priceUSD = rate.map { carried.price * $0.rate }
        let age = (secondEnd - carried.eventTime) / 1000
        let slot = Int(second & streams[index].ringMask)
        streams[index].recent[slot] = RecentSnapshot(
            second: second, price: carried.price, priceUSD: priceUSD, ageMilliseconds: age, fxAssumed: rate?.assumed ?? false)
        guard streams[index].emits else { return }
        let stream = streams[index]
        records.append(.snapshot(SnapshotRecord(
            source: stream.source, instrument: stream.instrument, second: second * 1_000_000,
            price: carried.price, bid: carried.bid, ask: carried.ask,
            fresh: bucket != nil, ticks: bucket?.count ?? 0,
            open: bucket?.firstPrice, high: bucket?.high, low: bucket?.low, close: bucket?.lastPrice,
            ageMilliseconds: age, priceUSD: priceUSD, fx: rate?.rate, fxAssumed: rate?.assumed ?? false)))
        counters.snapshots += 1
        if stream.spreadPrimary, priceUSD != nil { emitSpreads(of: index, second: second) }
    }

    /// Pairs this stream's snapshot of `second` with every peer (same base, other source) already final for it;
    /// the pair is emitted by whichever side becomes final last, so exactly once.
    private mutating func emitSpreads(of index: Int, second: Int64) {
        let stream = streams[index]
        guard let mine = stream.recentSnapshot(at: second), let myUSD = mine.priceUSD else { return }
        for peerIndex in order where peerIndex != index {
            let peer = streams[peerIndex]
            guard peer.emits, peer.spreadPrimary, peer.baseGroup == stream.baseGroup, peer.source != stream.source,
                  let theirs = peer.recentSnapshot(at: second), let theirUSD = theirs.priceUSD else { continue }
            let (a, aSnap, aUSD, b, bSnap, bUSD) = stream.source < peer.source
                ? (stream, mine, myUSD, peer, theirs, theirUSD) : (peer, theirs, theirUSD, stream, mine, myUSD)
            records.append(.spread(SpreadRecord(
                second: second * 1_000_000, base: stream.instrument.base, a: a.source, b: b.source,
                aInstrument: a.instrument, bInstrument: b.instrument, aPriceUSD: aUSD, bPriceUSD: bUSD,
                diff: a.instrument.quote == b.instrument.quote ? aSnap.price - bSnap.price : nil,
                aAgeMilliseconds: aSnap.ageMilliseconds, bAgeMilliseconds: bSnap.ageMilliseconds,
                fxAssumed: aSnap.fxAssumed || bSnap.fxAssumed)))
            counters.spreads += 1
        }
    }

    // MARK: Windows

    private mutating func updateWindow(of index: Int, second: Int64, bucket: SecondBucket?) {
        let secondEnd = (second + 1) * 1_000_000
        if var window = streams[index].window {
            if secondEnd <= window.end {
                if let bucket { window.fold(bucket) }
                window.maxGap = max(window.maxGap, secondEnd - window.currentTime)
                streams[index].window = window
                emitWindow(of: index, window, asOf: secondEnd, resolvedBy: nil)
                return
            }
            // Ended: the first tick at or after the end resolves it and opens the next window.
            guard let bucket else { return }
            emitWindow(of: index, window, asOf: secondEnd, resolvedBy: bucket)
        }
        guard let bucket else {
            streams[index].window = nil
            return
        }
        let start = floorDivide(bucket.first.eventTime, windowLength) * windowLength
        var window = WindowState(start: start, length: windowLength, bucket: bucket)
        window.maxGap = max(window.maxGap, secondEnd - window.currentTime)
        streams[index].window = window
        emitWindow(of: index, window, asOf: secondEnd, resolvedBy: nil)
    }

    private mutating func emitWindow(of index: Int, _ window: WindowState, asOf: Int64, resolvedBy bucket: SecondBucket?) {
        guard window.start >= suppressWindowsBefore else { return }
        let stream = streams[index]
        records.append(.window(WindowRecord(
            source: stream.source, instrument: stream.instrument, windowStart: window.start,
            open: window.open, openTime: window.openTime, current: window.current, currentTime: window.currentTime,
            high: window.high, low: window.low, ticks: window.ticks,
            secondsLeft: max(0, window.end - asOf) / 1_000_000,
            resolutionPrice: bucket?.firstPrice, resolutionTime: bucket?.first.eventTime,
            maxGapMilliseconds: window.maxGap / 1000, complete: window.maxGap <= stream.maxGap, asOf: asOf)))
        counters.windows += 1
    }

    // MARK: FX

    /// USD per unit of `asset` at `second`: 1 for USD; through a leg whose other asset has a rate; else the
    /// configured assumption (`assumed = true`); else nil.
    private func fxRate(of asset: String, second: Int64, excludingLeg: Int?, depth: Int) -> (rate: Double, assumed: Bool)? {
        if asset == "USD" { return (1, false) }
        if depth < 3 {
            for (legIndex, leg) in configuration.fxLegs.enumerated() where legIndex != excludingLeg {
                let relatesBase = leg.instrument.base == asset
                guard relatesBase || leg.instrument.quote == asset else { continue }
                guard let stream = legStreams[legIndex], let legPrice = streams[stream].recentSnapshot(at: second)?.price else { continue }
                let other = relatesBase ? leg.instrument.quote : leg.instrument.base
                guard let parent = fxRate(of: other, second: second, excludingLeg: legIndex, depth: depth + 1) else { continue }
                // base = price × quote: an asset on the base side is worth price × quote's rate.
                return (relatesBase ? legPrice * parent.rate : parent.rate / legPrice, parent.assumed)
            }
        }
        if let assumed = configuration.assumedRates[asset] { return (assumed, true) }
        return nil
    }
}
