import Metrics
import TickbusMarket

/// `tickbus_aggregator_*`: ticks in, late (per source), invalid, future, records out per type, watermark
/// delay, state size.
struct AggregatorMetrics: Sendable {
    private let ticks: Counter
    private let unpriced: Counter
    private let invalid: Counter
    private let future: Counter
    private let late: [Counter]
    private let snapshots: Counter
    private let windows: Counter
    private let spreads: Counter
    private let watermarkDelay: Gauge
    private let streams: Gauge
    private let pendingSeconds: Gauge
    private let openWindows: Gauge
    private let catchingUp: Gauge
    private let previous = PreviousCounters()

    init(factory: any MetricsFactory) {
        ticks = Counter(label: "tickbus_aggregator_ticks_total", factory: factory)
        unpriced = Counter(label: "tickbus_aggregator_unpriced_ticks_total", factory: factory)
        invalid = Counter(label: "tickbus_aggregator_invalid_ticks_total", factory: factory)
        future = Counter(label: "tickbus_aggregator_future_ticks_total", factory: factory)
        late = SourceID.allCases.map { Counter(label: "tickbus_aggregator_late_ticks_total", dimensions: [("source", $0.rawValue)], factory: factory) }
        snapshots = Counter(label: "tickbus_aggregator_records_total", dimensions: [("type", "snapshot")], factory: factory)
        windows = Counter(label: "tickbus_aggregator_records_total", dimensions: [("type", "window")], factory: factory)
        spreads = Counter(label: "tickbus_aggregator_records_total", dimensions: [("type", "spread")], factory: factory)
        watermarkDelay = Gauge(label: "tickbus_aggregator_watermark_delay_seconds", factory: factory)
        streams = Gauge(label: "tickbus_aggregator_streams", factory: factory)
        pendingSeconds = Gauge(label: "tickbus_aggregator_pending_seconds", factory: factory)
        openWindows = Gauge(label: "tickbus_aggregator_open_windows", factory: factory)
        catchingUp = Gauge(label: "tickbus_aggregator_catching_up", factory: factory)
    }

    func record(counters: AggregationEngine.Counters, stateSize: (streams: Int, pendingSeconds: Int, openWindows: Int), clock: Int64, catchingUp isCatchingUp: Bool) {
        let last = previous.exchange(counters)
        // A rebuild starts the engine's counters from zero: count from there.
        let base = counters.accepted < last.accepted ? AggregationEngine.Counters() : last
        ticks.increment(by: counters.accepted - base.accepted)
        unpriced.increment(by: counters.unpriced - base.unpriced)
        invalid.increment(by: counters.invalid - base.invalid)
        future.increment(by: counters.future - base.future)
        for index in late.indices where counters.lateBySource[index] > base.lateBySource[index] {
            late[index].increment(by: counters.lateBySource[index] - base.lateBySource[index])
        }
        snapshots.increment(by: counters.snapshots - base.snapshots)
        windows.increment(by: counters.windows - base.windows)
        spreads.increment(by: counters.spreads - base.spreads)
        if clock != .min { watermarkDelay.record(Double(WallClock.microseconds() - clock) / 1e6) }
        streams.record(stateSize.streams)
        pendingSeconds.record(stateSize.pendingSeconds)
        openWindows.record(stateSize.openWindows)
        catchingUp.record(isCatchingUp ? 1 : 0)
    }
}

import Synchronization

private final class PreviousCounters: Sendable {
    private let value = Mutex(AggregationEngine.Counters())
    func exchange(_ new: AggregationEngine.Counters) -> AggregationEngine.Counters {
        value.withLock { old in defer { old = new }; return old }
    }
}
