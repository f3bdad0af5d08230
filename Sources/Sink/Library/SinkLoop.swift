import TickbusPostgres
import Logging
import ServiceLifecycle
import Synchronization
import TickbusKafka
import TickbusMarket

/// The body of ``SinkService``: poll, batch, write, dead-letter, commit; pause and retry on outages.
struct SinkLoop {
    let configuration: SinkService.Configuration
    let logger: Logger
    let metrics: SinkMetrics
    let shared: SinkSharedState
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let writer: PostgresBatchWriter

    private var batch = SinkBatch()
    private var lastMaintenance = ContinuousClock.now
    private var paused: [KafkaTopicPartition] = []

    init(configuration: SinkService.Configuration, logger: Logger, metrics: SinkMetrics, shared: SinkSharedState,
         consumer: KafkaConsumer, producer: KafkaProducer, writer: PostgresBatchWriter) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.shared = shared
        self.consumer = consumer
        self.producer = producer
        self.writer = writer
    }

    private var stopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    mutating func run() async throws {
        while !stopping {
            let waited = batch.startedAt.map { ContinuousClock.now - $0 } ?? .zero
            let timeout = batch.isEmpty ? Duration.milliseconds(100) : max(.zero, min(.milliseconds(100), configuration.batchDelay - waited))
            let messages = try await consumer.poll(maxMessages: max(1, configuration.batchRows - batch.messages), timeout: timeout)
            if try await handleRebalance() { continue }
            if !messages.isEmpty {
                let limits = limits(now: WallClock.microseconds())
                let now = WallClock.microseconds()
                for message in messages { batch.add(message, limits: limits, now: now) }
            }
            if let started = batch.startedAt,
               batch.messages >= configuration.batchRows || ContinuousClock.now - started >= configuration.batchDelay {
                try await flush()
            }
            if ContinuousClock.now - lastMaintenance >= configuration.maintenanceInterval {
                await maintain()
            }
        }
    }

    /// On shutdown: write what is batched (a few attempts), commit.
    mutating func finish() async throws {
        guard !batch.isEmpty else { return }
        try await flush(maximumAttempts: 5)
    }

    private func limits(now: Int64) -> SinkBatch.Limits {
        var limits = SinkBatch.Limits()
        limits.topics = configuration.topics
        limits.maximumFuture = Int64(configuration.partitionsAhead + 1) * PartitionManager.dayMicros
        for table in SinkTable.allCases {
            if let days = configuration.retention(of: table) {
                limits.retentionCutoff[table] = PartitionManager.day(of: now - Int64(days) * PartitionManager.dayMicros)
            }
        }
        return limits
    }

    /// After a rebalance the unwritten batch is dropped and every assigned partition rewound to its
    /// committed offset (the poll may already have returned records of the new assignment).
    private mutating func handleRebalance() async throws -> Bool {
        guard shared.rebalanced.withLock({ let was = $0; $0 = false; return was }) else { return false }
        if !batch.isEmpty {
            logger.info("rebalance: dropping the unwritten batch", metadata: ["messages": "\(batch.messages)"])
            shared.status.withLock { $0.discardedBatches += 1 }
        }
        batch = SinkBatch()
        paused = []
        let assigned = Array(consumer.assignment)
        guard !assigned.isEmpty else { return true }
        let committed = try await consumer.committed(assigned)
        var positions: [KafkaTopicPartition: KafkaOffset] = [:]
        for partition in assigned {
            positions[partition] = (committed[partition] ?? nil).map { .exact($0) } ?? .beginning
        }
        try await consumer.seek(positions)
        return true
    }

    /// Writes the batch; on failure pauses consumption and retries with backoff until it commits, the
    /// group takes the partitions away (batch dropped), or shutdown (after `maximumAttempts`).
    private mutating func flush(maximumAttempts: Int = .max) async throws {
        var backoff = Backoff(configuration: configuration.backoff)
        let started = ContinuousClock.now
        var outcome: PostgresBatchWriter.Outcome
        while true {
            do throws(DatabaseError) {
                outcome = try await writer.write(batch)
                break
            } catch {
                metrics.recordFailure()
                shared.status.withLock { $0.failedAttempts += 1 }
                await writer.reset()
                if error.code == .configuration || backoff.attempt + 1 >= maximumAttempts { throw error }
                let delay = backoff.next()
                logger.warning("write failed; consumption paused, retrying", metadata: [
                    "error": "\(error)", "retry_in": "\(delay)", "attempt": "\(backoff.attempt)"])
                try pauseConsumption()
                if try await waitKeepingMembership(delay) { return }
                if stopping && maximumAttempts == .max { throw error }
            }
        }
        try await sendDeadLetters(outcome)
        try consumer.store(offsets: batch.nextOffsets)
        do {
            try await consumer.commit()
        } catch {
            logger.warning("offset commit failed; it is retried with the next batch", metadata: ["error": "\(error)"])
        }
        let duration = ContinuousClock.now - started
        let deadLetters = batch.deadLetters.count + outcome.rejected.count
        metrics.recordWrite(outcome, expired: batch.expired, deadLetters: deadLetters, duration: duration, at: Double(WallClock.microseconds()) / 1e6)
        shared.status.withLock {
            $0.batches += 1
            $0.rowsWritten += outcome.written.values.reduce(0, +)
            $0.deadLetters += deadLetters
        }
        batch = SinkBatch()
        try resumeConsumption()
    }

    /// Sleeps `delay` while polling (paused partitions return nothing). `true` when a rebalance dropped the batch.
    private mutating func waitKeepingMembership(_ delay: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + delay
        while ContinuousClock.now < deadline {
            let stray = try await consumer.poll(maxMessages: 100, timeout: min(.milliseconds(100), deadline - .now))
            if try await handleRebalance() { return true }
            if !stray.isEmpty {
                // Not expected from paused partitions; rewind rather than lose them.
                logger.warning("records arrived while paused; rewinding", metadata: ["count": "\(stray.count)"])
                shared.rebalanced.withLock { $0 = true }
                if try await handleRebalance() { return true }
            }
            if stopping { return false }
        }
        return false
    }

    private mutating func pauseConsumption() throws {
        guard paused.isEmpty else { return }
        paused = Array(consumer.assignment)
        try consumer.pause(paused)
        metrics.recordPaused(true)
        shared.status.withLock { $0.paused = true }
    }

    private mutating func resumeConsumption() throws {
        guard !paused.isEmpty else { return }
        let assigned = consumer.assignment
        try consumer.resume(paused.filter { assigned.contains($0) })
        paused = []
        metrics.recordPaused(false)
        shared.status.withLock { $0.paused = false }
        logger.info("writes succeed again; consumption resumed")
    }

    /// Sends the batch's dead letters to `dlq.sink` and waits until the broker has them all.
    private func sendDeadLetters(_ outcome: PostgresBatchWriter.Outcome) async throws {
        var letters = batch.deadLetters
        for rejected in outcome.rejected {
            guard let origin = batch.tables[rejected.table]?.origins[rejected.row] else { continue }
            letters.append(SinkDeadLetter(
                topic: origin.topic, partition: origin.partition, offset: origin.offset, value: origin.value,
                reason: "\(rejected.table.name): \(rejected.reason)"))
        }
        guard !letters.isEmpty else { return }
        let now = WallClock.microseconds()
        let messages = letters.map { letter in
            KafkaProducerMessage(
                topic: configuration.topics.sinkDeadLetters, key: Array(letter.topic.utf8),
                value: DeadLetterCodec.encode(letter, time: now))
        }
        // One at a time, each acknowledged: dead letters are rare, and an unacknowledged one must not let
        // its record's offset be committed.
        for message in messages {
            var backoff = Backoff(configuration: configuration.backoff)
            while true {
                do {
                    _ = try await producer.sendAndWait(message)
                    break
                } catch {
                    let delay = backoff.next()
                    logger.warning("dead letter not acknowledged; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    try await Task.sleep(for: delay)
                }
            }
        }
        logger.warning("records sent to the dead-letter topic", metadata: [
            "count": "\(letters.count)", "first_reason": "\(letters[0].reason)"])
    }

    private mutating func maintain() async {
        lastMaintenance = .now
        do throws(DatabaseError) {
            let connection = try await writer.connectedForMaintenance()
            try await SinkMaintenance(configuration: configuration, logger: logger, metrics: metrics).run(on: connection)
        } catch {
            logger.warning("partition maintenance failed; retried next interval", metadata: ["error": "\(error)"])
            await writer.reset()
        }
    }
}
