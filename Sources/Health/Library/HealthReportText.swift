import Foundation
import TickbusMarket

extension HealthReport {
    /// The human report of `health check`: feeds, consumer groups, the other checks, OVERALL.
    public func text() -> String {
        var lines: [String] = []
        lines.append("Tickbus health at \(isoTime(generatedAt)) (fill window \(windowSeconds) s)")
        lines.append("")
        lines.append(row(["SOURCE", "INSTRUMENT", "NEWEST (UTC)", "LAG s", "FRESH/EXPECTED", "FILL", "VERDICT", "RELAY"],
                         widths: Self.feedWidths))
        for feed in feeds {
            lines.append(row([
                feed.feed.source.rawValue, feed.feed.instrument.description,
                feed.newestEventTime.map(isoTime) ?? "none", feed.lagSeconds.map { String(format: "%.1f", $0) } ?? "-",
                "\(feed.freshSeconds)/\(feed.expectedSeconds)", feed.fillRate.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
                feed.verdict.rawValue + (feed.feed.required ? "" : "*"), feed.connection?.relay ?? "-",
            ], widths: Self.feedWidths))
        }
        if feeds.contains(where: { !$0.feed.required }) { lines.append("* informational: warns, never fails OVERALL") }
        lines.append("")
        lines.append(row(["CONSUMER GROUP", "ROLE", "LAG msgs", "LAG s", "VERDICT"], widths: [24, 10, 10, 9, 7]))
        for group in groups {
            lines.append(row([
                group.group.groupID, group.group.role.rawValue, group.lagMessages.map(String.init) ?? "-",
                group.lagSeconds.map { String(format: "%.1f", $0) } ?? "-", group.verdict.rawValue,
            ], widths: [24, 10, 10, 9, 7]))
        }
        lines.append("")
        lines.append("SINK FRESHNESS: " + (sinkFreshnessSeconds.map { String(format: "%.1f s since the last commit", $0) } ?? "unknown"))
        lines.append("")
        lines.append("CHECKS")
        for check in checks {
            var line = "  \(check.status.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0)) \(check.name)"
            if let value = check.value { line += " = \(formatNumber(value))\(check.unit == "ratio" ? "" : " " + check.unit)" }
            if !check.thresholdText.isEmpty { line += " (\(check.thresholdText))" }
            line += ": \(check.detail)"
            if !check.required { line += " [optional]" }
            lines.append(line)
        }
        lines.append("")
        let failing = checks.filter { $0.required && $0.status == .fail }.map(\.name)
        lines.append("OVERALL: \(overall.rawValue)" + (failing.isEmpty ? "" : " (failing: \(failing.joined(separator: ", ")))"))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Column widths of the feed table; the first fits the longest source id (`chainlink_twap`).
    private static let feedWidths = [15, 10, 24, 9, 15, 7, 8, 8]

    private func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in
            cell.count >= width ? cell + " " : cell.padding(toLength: width, withPad: " ", startingAt: 0)
        }.joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }
}
