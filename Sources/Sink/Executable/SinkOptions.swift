import ArgumentParser
import Foundation
import Sink

/// Retention and partition settings shared by `sink run` and `sink retention`.
struct RetentionOptions: ParsableArguments {
    @Option(help: """
        Retention per table, e.g. ticks=7,snapshots_1s=30,windows_15m=forever (env TICKBUS_SINK_RETENTION; \
        defaults ticks 7, snapshots_1s 30, spreads_1s 7, venue_events 30, dead_letters 30 days, windows_15m forever).
        """)
    var retention: String?

    @Option(help: "Days of partitions created after today (env TICKBUS_SINK_PARTITIONS_AHEAD; default 3, at least 2).")
    var partitionsAhead: String?

    func apply(to configuration: inout SinkService.Configuration) throws {
        let environment = ProcessInfo.processInfo.environment
        if let text = retention ?? environment["TICKBUS_SINK_RETENTION"], !text.isEmpty {
            for item in text.split(separator: ",") {
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                let tables = SinkTable.allCases.map(\.name).joined(separator: ", ")
                guard parts.count == 2, let table = SinkTable(rawValue: parts[0]) else {
                    throw ValidationError("--retention (TICKBUS_SINK_RETENTION): '\(item)' is not <table>=<days>; tables: \(tables)")
                }
                if parts[1] == "forever" {
                    configuration.retentionDays[table] = .some(nil)
                } else if let days = Int(parts[1]), days >= 1 {
                    configuration.retentionDays[table] = days
                } else {
                    throw ValidationError("--retention (TICKBUS_SINK_RETENTION): days of \(table.name) must be ≥ 1 or 'forever', got '\(parts[1])'")
                }
            }
        }
        let aheadText = partitionsAhead ?? environment["TICKBUS_SINK_PARTITIONS_AHEAD"] ?? "3"
        guard let ahead = Int(aheadText), (2...60).contains(ahead) else {
            throw ValidationError("--partitions-ahead (TICKBUS_SINK_PARTITIONS_AHEAD): expected 2-60, got '\(aheadText)'")
        }
        configuration.partitionsAhead = ahead
    }
}
