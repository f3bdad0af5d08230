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
    /// The previous batch, written by a child task while `batch` fills (at most one; acknowledged in order).
    private var inFlight: PendingWrite?
    private var lastMaintenance = ContinuousClock.now
    private var paused: [KafkaTopicPartition] = []

    private struct PendingWrite {
        let batch: SinkBatch
        let started: ContinuousClock.Instant
        let done: CompletionFlag
        let task: Task<Result<PostgresBatchWriter.Outcome, DatabaseError>, Never>
    }

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
        do {
            try await poll()
        } catch {
            if let pending = inFlight { _ = await pending.task.value }  // the writer is closed next
            inFlight = nil
            throw error
        }
    }

    private mutating func poll() async throws {
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
            if let pending = inFlight, pending.done.isSet {
                if try await completeInFlight() == false { continue }
            }
            if let started = batch.startedAt,
               batch.messages >= configuration.batchRows || ContinuousClock.now - started >= configuration.batchDelay {
                if try await completeInFlight() == false { continue }
                startWrite()
            }
            if ContinuousClock.now - lastMaintenance >= configuration.maintenanceInterval {
                if try await completeInFlight() == false { continue }
                await maintain()
            }
        }
    }

    /// On shutdown: acknowledge the write in flight, write what is batched (a few attempts), commit.
    mutating func finish() async throws {
        guard try await completeInFlight(maximumAttempts: 5) else { return }
        guard !batch.isEmpty else { return }
        let last = batch
        batch = SinkBatch()
        _ = try await flush(last, maximumAttempts: 5)
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

    /// After a rebalance the write in flight is finished (acknowledged if it succeeded, dropped if not), the
    /// unwritten batch dropped and every assigned partition rewound to its committed offset (the poll may
    /// already have returned records of the new assignment).
    private mutating func handleRebalance() async throws -> Bool {
        guard shared.rebalanced.withLock({ let was = $0; $0 = false; return was }) else { return false }
        if let pending = inFlight {
            inFlight = nil
            switch await pending.task.value {
            case .success(let outcome):
                try await acknowledge(pending.batch, outcome, started: pending.started)
            case .failure(let error):
                recordFailure()
                await writer.reset()
                logger.info("rebalance: dropping the batch whose write failed", metadata: ["error": "\(error)"])
                shared.status.withLock { $0.discardedBatches += 1 }
            }
        }
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

    /// Hands the batch to a child task; polling and encoding the next one go on meanwhile.
    private mutating func startWrite() {
        let pending = batch
        batch = SinkBatch()
        let done = CompletionFlag()
        let writer = self.writer
        let task = Task { () -> Result<PostgresBatchWriter.Outcome, DatabaseError> in
            defer { done.set() }
            do throws(DatabaseError) {
                return .success(try await writer.write(pending))
            } catch {
                return .failure(error)
            }
        }
        inFlight = PendingWrite(batch: pending, started: .now, done: done, task: task)
    }

    /// Waits for the write in flight and acknowledges it; if it failed, it is retried here (consumption
    /// paused) before anything else is written. `false` when a rebalance dropped it.
    private mutating func completeInFlight(maximumAttempts: Int = .max) async throws -> Bool {
        guard let pending = inFlight else { return true }
        inFlight = nil
        switch await pending.task.value {
        case .success(let outcome):
            try await acknowledge(pending.batch, outcome, started: pending.started)
            return true
        case .failure(let error):
            recordFailure()
            await writer.reset()
            if error.code == .configuration { throw error }
            logger.warning("write failed; consumption paused, retrying", metadata: ["error": "\(error)"])
            try pauseConsumption()
            return try await flush(pending.batch, maximumAttempts: maximumAttempts, started: pending.started)
        }
    }

    /// Writes `batch` here and now; on failure pauses consumption and retries with backoff until it
    /// commits, the group takes the partitions away (batch dropped, `false`), or shutdown (after
    /// `maximumAttempts`).
    private mutating func flush(
        _ batch: SinkBatch, maximumAttempts: Int = .max, started: ContinuousClock.Instant = .now
    ) async throws -> Bool {
        var backoff = Backoff(configuration: configuration.backoff)
        var outcome: PostgresBatchWriter.Outcome
        while true {
            do throws(DatabaseError) {
                outcome = try await writer.write(batch)
                break
            } catch {
                recordFailure()
                await writer.reset()
                if error.code == .configuration || backoff.attempt + 1 >= maximumAttempts { throw error }
                let delay = backoff.next()
                logger.warning("write failed; consumption paused, retrying", metadata: [
                    "error": "\(error)", "retry_in": "\(delay)", "attempt": "\(backoff.attempt)"])
                try pauseConsumption()
                if try await waitKeepingMembership(delay) { return false }
                if stopping && maximumAttempts == .max { throw error }
            }
        }
        try await acknowledge(batch, outcome, started: started)
        return true
    }

    private func recordFailure() {
        metrics.recordFailure()
        shared.status.withLock { $0.failedAttempts += 1 }
    }

    /// After the rows are committed: dead letters acknowledged, then the offsets stored and committed.
    private mutating func acknowledge(
        _ batch: SinkBatch, _ outcome: PostgresBatchWriter.Outcome, started: ContinuousClock.Instant
    ) async throws {
        try await sendDeadLetters(of: batch, outcome)
        let assigned = consumer.assignment
        try consumer.store(offsets: batch.nextOffsets.filter { assigned.contains($0.key) })
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
    private func sendDeadLetters(of batch: SinkBatch, _ outcome: PostgresBatchWriter.Outcome) async throws {
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

/// Set once by a write task when it ends, read by the loop without waiting.
final class CompletionFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
