public import TickbusKafka
import TickbusMarket
public import TickbusPostgres

/// Measurements → checks, with no I/O: every verdict of the report is made here.
public enum HealthAssessment {
    public static func report(
        configuration: HealthConfiguration, now: Int64,
        postgres: Result<PostgresMeasurements, DatabaseError>, kafka: Result<KafkaMeasurements, KafkaError>
    ) -> HealthReport {
        var checks: [HealthCheck] = []
        switch postgres {
        case .success(let measured):
            checks.append(HealthCheck(name: "database", status: .pass, value: measured.roundTrip.seconds, unit: "s",
                                      detail: "schema version \(measured.schemaVersion), queries took \(milliseconds(measured.roundTrip)) ms"))
        case .failure(let error):
            checks.append(HealthCheck(name: "database", status: .fail, detail: "\(configuration.postgres): \(error)"))
        }
        switch kafka {
        case .success(let measured):
            checks.append(HealthCheck(name: "broker", status: .pass, value: measured.roundTrip.seconds, unit: "s",
                                      detail: "\(measured.topics) topics, queries took \(milliseconds(measured.roundTrip)) ms"))
        case .failure(let error):
            checks.append(HealthCheck(name: "broker", status: .fail, detail: "\(error)"))
        }

        var feeds: [FeedSummary] = []
        for feed in configuration.feeds {
            let (lag, fill, summary) = assess(feed, configuration: configuration, now: now, postgres: postgres)
            checks += [lag, fill]
            feeds.append(summary)
        }
        var groups: [GroupSummary] = []
        for group in configuration.groups {
            let (messages, seconds, summary) = assess(group, configuration: configuration, now: now, kafka: kafka)
            checks += [messages, seconds]
            groups.append(summary)
        }
        let (sink, freshness) = assessSink(configuration: configuration, now: now, postgres: postgres)
        checks.append(sink)
        checks.append(assessWindow(configuration: configuration, now: now, postgres: postgres))
        return HealthReport(checks: checks, feeds: feeds, groups: groups, sinkFreshnessSeconds: freshness,
                            windowSeconds: configuration.windowSeconds, generatedAt: now)
    }

    static func assess(
        _ feed: Feed, configuration: HealthConfiguration, now: Int64, postgres: Result<PostgresMeasurements, DatabaseError>
    ) -> (lag: HealthCheck, fill: HealthCheck, summary: FeedSummary) {
        let lagLimit = configuration.lagLimit(of: feed.source), fillLimit = configuration.fillLimit(of: feed.source)
        guard case .success(let measured) = postgres else {
            let skipped = "not measured: the database is unavailable"
            return (HealthCheck(name: "lag \(feed)", status: .skip, unit: "s", limit: lagLimit, detail: skipped),
                    HealthCheck(name: "fill \(feed)", status: .skip, unit: "ratio", limit: fillLimit, detail: skipped),
                    FeedSummary(feed: feed, freshSeconds: 0, expectedSeconds: configuration.windowSeconds, verdict: .skip))
        }
        let row = measured.feeds[feed] ?? .init(freshSeconds: 0, snapshotSeconds: 0)
        let connection = measured.connections[feed.source]
        // An informational feed (no market resolves on it) warns at worst and never fails OVERALL.
        let cap = { (status: CheckStatus) in feed.required ? status : min(status, .warn) }
        var lagCheck: HealthCheck
        var lagSeconds: Double?
        if let newest = row.newestEventTime {
            let lag = max(0, Double(now - newest) / 1e6)
            lagSeconds = lag
            lagCheck = HealthCheck(name: "lag \(feed)", status: cap(lagLimit.status(of: lag)), value: lag, unit: "s", limit: lagLimit,
                                   detail: "newest tick \(isoTime(newest)), \(formatNumber(lag)) s ago", required: feed.required)
        } else {
            let cause = switch connection {
            case nil: "no status from its producer in the last 24 h: is it running?"
            case let connection? where connection.state == "disconnected" && connection.stateDetail.hasPrefix("shutdown"):
                "its producer stopped \(secondsAgo(connection.stateTime, now: now)) s ago"
            case .some: "its producer is running"
            }
            lagCheck = HealthCheck(name: "lag \(feed)", status: cap(.fail), unit: "s", limit: lagLimit,
                                   detail: "no fresh snapshot of \(feed) in the last 24 h; \(cause)", required: feed.required)
        }
        // Say why when it is not passing: the producer's own account of its connection.
        if lagCheck.status != .pass, let connection {
            lagCheck.detail += "; " + describe(connection, now: now)
        }
        // A feed whose first snapshot ever falls inside the window is judged on the seconds since it started.
        var expected = configuration.windowSeconds
        var since = ""
        if !row.hasEarlierSnapshots, let first = row.firstSecondInWindow {
            let window = HealthWindow(now: now, configuration: configuration)
            expected = max(1, Int((window.end - first) / 1_000_000))
            since = ", since the feed's first snapshot at \(isoTime(first))"
        }
        let fill = min(1, Double(row.freshSeconds) / Double(expected))
        let fillCheck = HealthCheck(
            name: "fill \(feed)", status: cap(fillLimit.status(of: fill)), value: fill, unit: "ratio", limit: fillLimit,
            detail: "\(row.freshSeconds) of \(expected) s had ticks (\(row.snapshotSeconds) snapshots\(since))", required: feed.required)
        let summary = FeedSummary(
            feed: feed, newestEventTime: row.newestEventTime, lagSeconds: lagSeconds, freshSeconds: row.freshSeconds,
            expectedSeconds: expected, fillRate: fill, verdict: max(lagCheck.status, fillCheck.status), connection: connection)
        return (lagCheck, fillCheck, summary)
    }

    /// `polybolt: subscribed, no live data for 15 s (12 s ago); 4 failed attempts in the last hour; connected
    /// via polybolt wss://…` — the producer's latest word, for a check that is not passing.
    static func describe(_ connection: PostgresMeasurements.ConnectionRow, now: Int64) -> String {
        var parts: [String] = []
        if let problem = connection.problem, let detail = connection.problemDetail, let time = connection.problemTime {
            parts.append("producer reports \(problem): \(detail) (\(secondsAgo(time, now: now)) s ago)")
        }
        if connection.state != connection.problem {
            parts.append("latest \(connection.state): \(connection.stateDetail) (\(secondsAgo(connection.stateTime, now: now)) s ago)")
        }
        if connection.failedAttempts > 0 { parts.append("\(connection.failedAttempts) disconnects in the last hour without data") }
        if let relay = connection.relay { parts.append("relay \(relay)") }
        return parts.joined(separator: "; ")
    }

    static func assess(
        _ group: ConsumerGroup, configuration: HealthConfiguration, now: Int64, kafka: Result<KafkaMeasurements, KafkaError>
    ) -> (messages: HealthCheck, seconds: HealthCheck, summary: GroupSummary) {
        let name = "consumer \(group.role.rawValue)"
        let messagesLimit = configuration.consumerMessages, secondsLimit = configuration.consumerSeconds
        guard case .success(let measured) = kafka, let lag = measured.groups[group], !lag.topics.isEmpty else {
            let detail = if case .failure = kafka { "not measured: the broker is unavailable" } else { "no topics of group '\(group.groupID)' exist yet" }
            return (HealthCheck(name: "\(name) messages behind", status: .skip, unit: "messages", limit: messagesLimit, detail: detail),
                    HealthCheck(name: "\(name) seconds behind", status: .skip, unit: "s", limit: secondsLimit, detail: detail),
                    GroupSummary(group: group, verdict: .skip))
        }
        let never = lag.committedPartitions == 0 && lag.partitions > 0 ? "; group '\(group.groupID)' has committed nothing yet" : ""
        let messages = HealthCheck(
            name: "\(name) messages behind", status: messagesLimit.status(of: Double(lag.messages)), value: Double(lag.messages),
            unit: "messages", limit: messagesLimit,
            detail: "group '\(group.groupID)': \(lag.messages) records behind on \(lag.partitions) partitions of \(lag.topics.count) topics\(never)")
        let seconds: HealthCheck
        var lagSeconds: Double?
        if lag.messages == 0 {
            lagSeconds = 0
            seconds = HealthCheck(name: "\(name) seconds behind", status: .pass, value: 0, unit: "s", limit: secondsLimit,
                                  detail: "group '\(group.groupID)' has consumed everything")
        } else if let oldest = lag.oldestUnconsumedMillis {
            let age = max(0, Double(now / 1000 - oldest) / 1e3)
            lagSeconds = age
            seconds = HealthCheck(name: "\(name) seconds behind", status: secondsLimit.status(of: age), value: age, unit: "s",
                                  limit: secondsLimit, detail: "oldest unconsumed record written \(isoTime(oldest * 1000))")
        } else {
            seconds = HealthCheck(name: "\(name) seconds behind", status: .skip, unit: "s", limit: secondsLimit,
                                  detail: "the oldest unconsumed record could not be read in time")
        }
        return (messages, seconds, GroupSummary(group: group, lagMessages: lag.messages, lagSeconds: lagSeconds,
                                                verdict: max(messages.status, seconds.status)))
    }

    static func assessSink(
        configuration: HealthConfiguration, now: Int64, postgres: Result<PostgresMeasurements, DatabaseError>
    ) -> (HealthCheck, Double?) {
        let limit = configuration.sinkFreshness
        guard case .success(let measured) = postgres else {
            return (HealthCheck(name: "sink freshness", status: .skip, unit: "s", limit: limit,
                                detail: "not measured: the database is unavailable"), nil)
        }
        guard let last = measured.sinkLastCommit else {
            return (HealthCheck(name: "sink freshness", status: .fail, unit: "s", limit: limit,
                                detail: "the sink has never committed a batch"), nil)
        }
        let age = max(0, Double(now - last) / 1e6)
        return (HealthCheck(name: "sink freshness", status: limit.status(of: age), value: age, unit: "s", limit: limit,
                            detail: "last batch committed \(isoTime(last)) (\(measured.sinkInstances) sink instance(s))"), age)
    }

    /// The open Chainlink window (the market's "price to beat") exists once its grace has passed, opened
    /// promptly and has no gap; the previous one is final.
    static func assessWindow(
        configuration: HealthConfiguration, now: Int64, postgres: Result<PostgresMeasurements, DatabaseError>
    ) -> HealthCheck {
        let name = "window \(configuration.windowSource) \(configuration.windowInstrument)"
        guard case .success(let measured) = postgres else {
            return HealthCheck(name: name, status: .skip, unit: "s", detail: "not measured: the database is unavailable")
        }
        let start = HealthWindow.windowStart(of: now)
        let previousStart = start - HealthWindow.windowLength
        let intoWindow = Double(now - start) / 1e6
        let grace = Double(configuration.windowGraceSeconds)
        let current = measured.windows.first { $0.windowStart == start }
        let previous = measured.windows.first { $0.windowStart == previousStart }
        var problems: [String] = []
        var status = CheckStatus.pass
        var facts: [String] = []
        if let current {
            let delay = Double(current.openDelayMillis) / 1e3
            facts.append("window \(isoTime(start)): open \(formatNumber(current.open)) at +\(formatNumber(delay)) s, "
                + "current \(current.current.map(formatNumber) ?? "none"), \(current.ticks) ticks, longest gap \(formatNumber(Double(current.maxGapMillis) / 1e3)) s")
            if delay > configuration.windowOpenDelayWarnSeconds {
                problems.append("the open came \(formatNumber(delay)) s after the boundary (price to beat doubtful)")
                status = max(status, .warn)
            }
            if !current.complete {
                problems.append("the window has a gap of \(formatNumber(Double(current.maxGapMillis) / 1e3)) s")
                status = max(status, .warn)
            }
        } else if intoWindow >= grace {
            problems.append("no row for the window opened at \(isoTime(start)), \(formatNumber(intoWindow)) s ago: the price to beat is unknown")
            status = .fail
        } else {
            facts.append("window \(isoTime(start)) opened \(formatNumber(intoWindow)) s ago (grace \(formatNumber(grace)) s)")
        }
        if intoWindow >= grace {
            if let previous {
                if !previous.final {
                    problems.append("the previous window (\(isoTime(previousStart))) is not final")
                    status = max(status, .warn)
                } else if !previous.complete {
                    problems.append("the previous window had a gap of \(formatNumber(Double(previous.maxGapMillis) / 1e3)) s")
                    status = max(status, .warn)
                } else {
                    facts.append("previous window final and complete")
                }
            } else {
                problems.append("no row for the previous window (\(isoTime(previousStart)))")
                status = max(status, .warn)
            }
        }
        let delay = current.map { Double($0.openDelayMillis) / 1e3 }
        // No numeric limit: missing fails, a late open (> windowOpenDelayWarnSeconds) or a gap warns.
        return HealthCheck(name: name, status: status, value: delay, unit: "s", detail: (facts + problems).joined(separator: "; "))
    }

    /// Whole seconds from `time` to `now` (µs), for details.
    static func secondsAgo(_ time: Int64, now: Int64) -> String { formatNumber(max(0, Double(now - time) / 1e6).rounded()) }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
