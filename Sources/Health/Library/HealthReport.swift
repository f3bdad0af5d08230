import Foundation
import TickbusMarket

public enum CheckStatus: String, Sendable, Comparable, CaseIterable {
    case pass = "PASS"
    case warn = "WARN"
    case fail = "FAIL"
    case skip = "SKIP"

    private var severity: Int {
        switch self {
        case .skip: 0
        case .pass: 1
        case .warn: 2
        case .fail: 3
        }
    }

    public static func < (lhs: CheckStatus, rhs: CheckStatus) -> Bool { lhs.severity < rhs.severity }
}

/// One check's verdict: what was measured, against which limit, and why.
public struct HealthCheck: Sendable, Equatable {
    public var name: String
    public var status: CheckStatus
    /// The measured value in `unit`; `nil` when nothing could be measured.
    public var value: Double?
    public var unit: String
    public var limit: Limit?
    public var detail: String
    /// A failing required check fails OVERALL.
    public var required: Bool

    public init(name: String, status: CheckStatus, value: Double? = nil, unit: String = "", limit: Limit? = nil,
                detail: String, required: Bool = true) {
        self.name = name
        self.status = status
        self.value = value
        self.unit = unit
        self.limit = limit
        self.detail = detail
        self.required = required
    }

    /// "warn > 10 s, fail > 30 s", or "" without a limit.
    public var thresholdText: String {
        guard let limit else { return "" }
        let sign = limit.direction == .above ? ">" : "<"
        let unit = self.unit.isEmpty || self.unit == "ratio" ? "" : " " + self.unit
        return "warn \(sign) \(formatNumber(limit.warn))\(unit), fail \(sign) \(formatNumber(limit.fail))\(unit)"
    }
}

/// Per feed, the figures of the prototype's diagnostics table.
public struct FeedSummary: Sendable, Equatable {
    public var feed: Feed
    /// Event time of the newest tick in the snapshots, µs (`nil`: none at all).
    public var newestEventTime: Int64?
    public var lagSeconds: Double?
    public var freshSeconds: Int
    public var expectedSeconds: Int
    public var fillRate: Double?
    public var verdict: CheckStatus
    /// The producer's latest connection state from `events.status`, when it published any.
    public var connection: PostgresMeasurements.ConnectionRow? = nil
}

/// Per consumer group: how far behind it is.
public struct GroupSummary: Sendable, Equatable {
    public var group: ConsumerGroup
    public var lagMessages: Int64?
    public var lagSeconds: Double?
    public var verdict: CheckStatus
}

public struct HealthReport: Sendable, Equatable {
    public var checks: [HealthCheck]
    public var feeds: [FeedSummary]
    public var groups: [GroupSummary]
    public var sinkFreshnessSeconds: Double?
    public var windowSeconds: Int
    /// µs since epoch.
    public var generatedAt: Int64

    /// FAIL when a required check fails, else PASS.
    public var overall: CheckStatus {
        checks.contains { $0.required && $0.status == .fail } ? .fail : .pass
    }

    /// The `/health` body: every check and the summaries, OVERALL and generated_at.
    public func json() -> String {
        var object: [String: Any] = [
            "overall": overall.rawValue,
            "generated_at": isoTime(generatedAt),
            "window_seconds": windowSeconds,
            "sink_freshness_seconds": sinkFreshnessSeconds.map { $0 as Any } ?? NSNull(),
        ]
        object["checks"] = checks.map { check -> [String: Any] in
            var entry: [String: Any] = [
                "name": check.name, "status": check.status.rawValue, "detail": check.detail, "required": check.required,
                "value": check.value.map { $0 as Any } ?? NSNull(), "unit": check.unit,
            ]
            if let limit = check.limit {
                entry["threshold"] = ["warn": limit.warn, "fail": limit.fail, "direction": limit.direction.rawValue]
            } else {
                entry["threshold"] = NSNull()
            }
            return entry
        }
        object["feeds"] = feeds.map { feed -> [String: Any] in [
            "source": feed.feed.source.rawValue, "instrument": feed.feed.instrument.description,
            "newest": feed.newestEventTime.map { isoTime($0) as Any } ?? NSNull(),
            "lag_seconds": feed.lagSeconds.map { $0 as Any } ?? NSNull(),
            "fresh_seconds": feed.freshSeconds, "expected_seconds": feed.expectedSeconds,
            "fill_rate": feed.fillRate.map { $0 as Any } ?? NSNull(), "verdict": feed.verdict.rawValue,
            "required": feed.feed.required,
            "connection": feed.connection.map { connection -> Any in [
                "state": connection.state, "detail": connection.stateDetail, "since": isoTime(connection.stateTime),
                "relay": connection.relay.map { $0 as Any } ?? NSNull(),
                "last_problem": connection.problemDetail.map { $0 as Any } ?? NSNull(),
                "last_problem_at": connection.problemTime.map { isoTime($0) as Any } ?? NSNull(),
                "failed_attempts_last_hour": connection.failedAttempts,
            ] as [String: Any] } ?? NSNull(),
        ] }
        object["consumer_groups"] = groups.map { group -> [String: Any] in [
            "role": group.group.role.rawValue, "group": group.group.groupID,
            "lag_messages": group.lagMessages.map { $0 as Any } ?? NSNull(),
            "lag_seconds": group.lagSeconds.map { $0 as Any } ?? NSNull(), "verdict": group.verdict.rawValue,
        ] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// `2026-11-24T09:15:00.123Z`.
func isoTime(_ micros: Int64) -> String {
    let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    let (year, month, day) = CivilCalendar.date(fromDays: days)
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(year), Int(month), Int(day),
                  Int(secondOfDay / 3600), Int(secondOfDay / 60 % 60), Int(secondOfDay % 60),
                  Int((micros - seconds * 1_000_000) / 1000))
}

/// Up to three decimals, no trailing zeros: 10, 0.9, 2.345.
func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    var text = String(format: "%.3f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
}
