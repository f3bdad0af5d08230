/// The producer's mutable state. Methods return what to do; the caller does it outside the lock.
struct KafkaProducerStateMachine: ~Copyable {
    enum Phase {
        case running
        case shuttingDown
        case shutDown
        case failed(KafkaError)
    }

    private(set) var phase: Phase = .running
    /// Bumped whenever librdkafka's queue may have room again (delivery reports were served).
    private var spaceGeneration: UInt64 = 0
    private var spaceWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var deliveryWaiters: [UInt64: CheckedContinuation<KafkaDeliveryReport, Never>] = [:]
    private var nextWaiterID: UInt64 = 0

    enum SendAction {
        case produce(generation: UInt64)
        case fail(KafkaError)
    }

    func beginSend() -> SendAction {
        switch phase {
        case .running: .produce(generation: spaceGeneration)
        case .shuttingDown, .shutDown: .fail(.shutDown("send"))
        case .failed(let error): .fail(error)
        }
    }

    mutating func makeWaiterID() -> UInt64 {
        nextWaiterID += 1
        return nextWaiterID
    }

    enum WaitAction {
        /// Room may have appeared since the failed attempt: retry at once.
        case retry
        case suspended
        case fail(KafkaError)
    }

    /// Parks a sender whose produce failed with a full queue at `generation`.
    mutating func waitForSpace(
        id: UInt64, generation: UInt64, continuation: CheckedContinuation<Void, any Error>
    ) -> WaitAction {
        switch phase {
        case .failed(let error):
            return .fail(error)
        // Shutdown already resumed the waiters it found: one parked now would never be woken.
        case .shuttingDown, .shutDown:
            return .fail(.shutDown("send"))
        case .running:
            if generation != spaceGeneration { return .retry }
            spaceWaiters[id] = continuation
            return .suspended
        }
    }

    mutating func cancelSpaceWaiter(id: UInt64) -> CheckedContinuation<Void, any Error>? {
        spaceWaiters.removeValue(forKey: id)
    }

    /// Delivery reports were served: every parked sender retries.
    mutating func spaceFreed() -> [CheckedContinuation<Void, any Error>] {
        spaceGeneration &+= 1
        guard !spaceWaiters.isEmpty else { return [] }
        defer { spaceWaiters.removeAll(keepingCapacity: true) }
        return Array(spaceWaiters.values)
    }

    mutating func awaitDelivery(of id: UInt64, continuation: CheckedContinuation<KafkaDeliveryReport, Never>) {
        deliveryWaiters[id] = continuation
    }

    var hasDeliveryWaiters: Bool { !deliveryWaiters.isEmpty }

    mutating func delivered(id: UInt64) -> CheckedContinuation<KafkaDeliveryReport, Never>? {
        deliveryWaiters.removeValue(forKey: id)
    }

    enum ShutdownAction {
        case flushAndDestroy(spaceWaiters: [CheckedContinuation<Void, any Error>])
        case alreadyShuttingDown
    }

    mutating func beginShutdown() -> ShutdownAction {
        switch phase {
        case .running, .failed:
            phase = .shuttingDown
            defer { spaceWaiters.removeAll() }
            return .flushAndDestroy(spaceWaiters: Array(spaceWaiters.values))
        case .shuttingDown, .shutDown:
            return .alreadyShuttingDown
        }
    }

    /// After the final flush: reports that never came are failed for whoever still waits.
    mutating func finishShutdown() -> [UInt64: CheckedContinuation<KafkaDeliveryReport, Never>] {
        phase = .shutDown
        defer { deliveryWaiters.removeAll() }
        return deliveryWaiters
    }

    mutating func fail(_ error: KafkaError) -> [CheckedContinuation<Void, any Error>] {
        switch phase {
        case .running:
            phase = .failed(error)
            defer { spaceWaiters.removeAll() }
            return Array(spaceWaiters.values)
        case .shuttingDown, .shutDown, .failed:
            return []
        }
    }
}
