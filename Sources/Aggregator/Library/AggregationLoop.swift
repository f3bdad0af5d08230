import Logging
import TickbusKafka
import TickbusMarket

/// The mutable side of ``AggregatorService``: engine, positions, checkpoints. Lives in the service's task.
struct AggregationLoop {
    let configuration: AggregatorService.Configuration
    let logger: Logger
    private(set) var engine: AggregationEngine
    /// Next offset to read, per partition, as consumed so far.
    private var positions: [KafkaTopicPartition: Int64] = [:]
    /// High watermarks at the last rebuild: until reached, the clock follows event time only.
    private var catchUpTargets: [KafkaTopicPartition: Int64] = [:]
    private(set) var catchingUp = true
    /// Highest event time read per partition: while catching up, the clock is the lowest of these among
    /// partitions still behind (Kafka hands out partitions in batches, not in time order).
    private var partitionEventTimes: [KafkaTopicPartition: Int64] = [:]
    /// Positions when the clock entered each second: committable once that second is final everywhere.
    private var checkpoints: [(second: Int64, positions: [KafkaTopicPartition: Int64])] = []
    private var lastCommit = ContinuousClock.now
    private var invalidLogged = 0

    init(configuration: AggregatorService.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        engine = AggregationEngine(configuration: configuration.rules, fxFromSideInput: configuration.fxSideInput)
    }

    // MARK: Rebuild

    mutating func rebuild(consumer: KafkaConsumer, fxConsumer: KafkaConsumer?) async throws {
        let rules = configuration.rules
        let window = rules.windowLength.microseconds
        let now = WallClock.microseconds()
        let rebuildStart = (now / window) * window - rules.carryLimit.microseconds - 5_000_000
        engine = AggregationEngine(configuration: rules, fxFromSideInput: configuration.fxSideInput)
        engine.suppressWindowsBefore = rebuildStart + rules.carryLimit.microseconds
        checkpoints.removeAll()
        positions.removeAll()
        catchUpTargets.removeAll()
        partitionEventTimes.removeAll()

        let assigned = Array(consumer.assignment).sorted()
        if !assigned.isEmpty {
            let byTime = try await consumer.offsetsForTimes(assigned, timestamp: rebuildStart / 1000)
            let committed = try await consumer.committed(assigned)
            var starts: [KafkaTopicPartition: KafkaOffset] = [:]
            for partition in assigned {
                let timeOffset = byTime[partition] ?? 0
                let start = (committed[partition] ?? nil).map { min($0, timeOffset) } ?? timeOffset
                starts[partition] = .exact(start)
                positions[partition] = start
                let high = try await consumer.watermarks(partition).high
                if start < high { catchUpTargets[partition] = high }
            }
            try await consumer.seek(starts)
            logger.debug("rebuild positions", metadata: ["starts": "\(starts.sorted { $0.key < $1.key })", "committed": "\(committed)", "by_time": "\(byTime)"])
        }
        catchingUp = !catchUpTargets.isEmpty
        if let fxConsumer { try await assignLegs(fxConsumer, consumer: consumer, from: rebuildStart) }
        logger.info("aggregator rebuilt", metadata: [
            "partitions": "\(assigned.count)", "catch_up": "\(catchUpTargets.count)",
            "from": "\(rebuildStart)",
        ])
    }

    private func assignLegs(_ fxConsumer: KafkaConsumer, consumer: KafkaConsumer, from rebuildStart: Int64) async throws {
        let legTopics = Set(configuration.rules.fxLegs.map { configuration.topics.ticks($0.source) })
        let existing = try await consumer.topics().filter { legTopics.contains($0.name) }
        let partitions = existing.flatMap { topic in topic.partitions.map { KafkaTopicPartition(topic: topic.name, partition: $0) } }
        guard !partitions.isEmpty else { return }
        let byTime = try await fxConsumer.offsetsForTimes(partitions, timestamp: rebuildStart / 1000)
        try await fxConsumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset.exact(byTime[$0] ?? 0)) }))
    }

    // MARK: Input

    mutating func ingestReference(_ messages: [KafkaConsumerMessage]) {
        for message in messages {
            _ = message.value.withUnsafeBufferPointer { engine.ingestReference(line: $0) }
        }
    }

    mutating func ingest(_ messages: [KafkaConsumerMessage]) {
        let now = WallClock.microseconds()
        let notAfter = now + configuration.maximumClockSkew.microseconds
        for message in messages {
            positions[message.topicPartition] = message.offset + 1
            let outcome = message.value.withUnsafeBufferPointer { engine.ingest(line: $0, notAfter: notAfter, movesClock: !catchingUp) }
            if catchingUp, outcome != .future, engine.lastEventTime > partitionEventTimes[message.topicPartition] ?? .min {
                partitionEventTimes[message.topicPartition] = engine.lastEventTime
            }
            if case .invalid(let reason) = outcome {
                invalidLogged += 1
                if invalidLogged <= 10 || invalidLogged % 1000 == 0 {
                    logger.warning("invalid tick skipped (it stays in its topic and the sink's dead letters)", metadata: [
                        "partition": "\(message.topicPartition)", "offset": "\(message.offset)", "reason": "\(reason)",
                        "invalid_total": "\(invalidLogged)",
                    ])
                }
            }
            checkpointIfNewSecond()
        }
        if catchingUp {
            catchUpTargets = catchUpTargets.filter { (positions[$0.key] ?? 0) < $0.value }
            catchingUp = !catchUpTargets.isEmpty
            // The slowest partition still behind holds the clock; once all caught up, the newest tick read.
            let behind = catchingUp ? catchUpTargets.keys.map { partitionEventTimes[$0] ?? .min } : Array(partitionEventTimes.values)
            if let clock = catchingUp ? behind.min() : behind.max(), clock != .min {
                engine.advanceClock(to: clock)
                checkpointIfNewSecond()
            }
        }
        if messages.isEmpty && !catchingUp {
            engine.advanceClock(to: now)
            checkpointIfNewSecond()
        }
    }

    private mutating func checkpointIfNewSecond() {
        guard engine.clock != .min else { return }
        let second = engine.clock / 1_000_000
        if checkpoints.last.map({ $0.second < second }) ?? true {
            checkpoints.append((second, positions))
        }
    }

    // MARK: Output and commits

    mutating func takeOutput() -> [KafkaProducerMessage] {
        guard engine.hasRecords else { return [] }
        let topics = configuration.topics
        return engine.takeRecords().map { record -> KafkaProducerMessage in
            let topic: String
            switch record {
            case .snapshot: topic = topics.snapshots
            case .window: topic = topics.windows
            case .spread: topic = topics.spreads
            }
            return KafkaProducerMessage(topic: topic, key: Array(record.key.utf8), value: AggregateRecordCodec.encode(record))
        }
    }

    /// Commits the newest checkpoint whose seconds are final for every source, after the producer has
    /// delivered everything sent so far.
    mutating func commitIfDue(consumer: KafkaConsumer, producer: KafkaProducer, force: Bool = false) async throws {
        guard force || ContinuousClock.now - lastCommit >= configuration.commitInterval else { return }
        lastCommit = .now
        let rules = configuration.rules
        let lateness = max(rules.venueLateness, rules.oracleLateness).microseconds
        guard engine.clock != .min else { return }
        let finalSecond = (engine.clock - lateness) / 1_000_000 - 2
        guard let index = checkpoints.lastIndex(where: { $0.second <= finalSecond }) else { return }
        let remaining = try await producer.flush(timeout: .seconds(30))
        guard remaining == 0 else {
            logger.warning("outputs not yet acknowledged; commit postponed", metadata: ["pending": "\(remaining)"])
            return
        }
        let assigned = consumer.assignment
        let offsets = checkpoints[index].positions.filter { assigned.contains($0.key) }
        checkpoints.removeSubrange(...index)
        do {
            try consumer.store(offsets: offsets)
            try await consumer.commit()
        } catch {
            // Not fatal: the broker may be unreachable, or the group may have taken the partitions away while
            // it was (assignment lost after the session timeout). A later checkpoint's commit covers these
            // offsets, and lost partitions come back through the rebalance, which rebuilds from what is committed.
            logger.warning("offset commit failed; a later checkpoint's commit covers it", metadata: ["error": "\(error)"])
        }
    }
}
