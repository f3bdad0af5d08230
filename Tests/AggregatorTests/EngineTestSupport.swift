@testable import Aggregator
import TickbusMarket

/// A window boundary (1.8e9 s = 2 000 000 × 900 s), so offsets below read as "seconds into the window".
let base: Int64 = 1_800_000_000

func micros(_ offset: Double) -> Int64 { (base * 1_000_000) + Int64((offset * 1_000_000).rounded()) }


func quote(_ source: SourceID, _ instrument: String, at offset: Double, bid: String, ask: String, sequence: UInt64 = 0) -> Tick {
    Tick(source: source, instrument: try! Instrument(instrument), venueSymbol: instrument, kind: .quote,
         bid: DecimalText(bid), ask: DecimalText(ask), venueTime: micros(offset), receiveTime: micros(offset) + 50_000,
         sequence: sequence)
}

func trade(_ source: SourceID, _ instrument: String, at offset: Double, last: String, sequence: UInt64 = 0) -> Tick {
    Tick(source: source, instrument: try! Instrument(instrument), venueSymbol: instrument, kind: source.isOracle ? .oracle : .trade,
         last: DecimalText(last), venueTime: micros(offset), receiveTime: micros(offset) + 1_200_000, sequence: sequence)
}

/// Feeds ticks in the given order (through the JSON path, as replay and run do) and flushes at the end.
func aggregate(_ ticks: [Tick], configuration: AggregatorConfiguration = AggregatorConfiguration()) -> (records: [AggregateRecord], counters: AggregationEngine.Counters) {
    var engine = AggregationEngine(configuration: configuration)
    for tick in ticks {
        let bytes = TickCodec.encode(tick)
        _ = bytes.withUnsafeBufferPointer { engine.ingest(line: $0) }
    }
    engine.finish()
    return (engine.takeRecords(), engine.counters)
}

extension Array where Element == AggregateRecord {
    var snapshots: [SnapshotRecord] { compactMap { if case .snapshot(let record) = $0 { record } else { nil } } }
    var windows: [WindowRecord] { compactMap { if case .window(let record) = $0 { record } else { nil } } }
    var spreads: [SpreadRecord] { compactMap { if case .spread(let record) = $0 { record } else { nil } } }

    func snapshots(_ source: SourceID, _ instrument: String) -> [SnapshotRecord] {
        snapshots.filter { $0.source == source && $0.instrument.description == instrument }
    }

    func snapshot(_ source: SourceID, _ instrument: String, second offset: Int64) -> SnapshotRecord? {
        snapshots(source, instrument).first { $0.second == (base + offset) * 1_000_000 }
    }
}
