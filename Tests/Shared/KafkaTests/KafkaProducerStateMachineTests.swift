import Synchronization
import Testing
@testable import TickbusKafka

/// The producer's state machine, phase by phase: what a sender is told to do, and that no sender is ever
/// parked where nothing will wake it (a full queue during shutdown once parked forever).
@Suite("Kafka producer state machine")
struct KafkaProducerStateMachineTests {
    /// Parks (or not) a sender at `generation`; returns what the machine said, resuming what is not suspended.
    func wait(_ machine: borrowing Mutex<KafkaProducerStateMachine>, generation: UInt64) async -> String {
        let said = Mutex("")
        _ = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let action = machine.withLock { machine in
                machine.waitForSpace(id: machine.makeWaiterID(), generation: generation, continuation: continuation)
            }
            switch action {
            case .retry:
                said.withLock { $0 = "retry" }
                continuation.resume()
            case .fail(let error):
                said.withLock { $0 = "fail: \(error)" }
                continuation.resume(throwing: error)
            case .suspended:
                said.withLock { $0 = "suspended" }
                // Woken by spaceFreed, beginShutdown or fail below.
                let woken = machine.withLock { $0.spaceFreed() }
                for waiter in woken { waiter.resume() }
            }
        }
        return said.withLock { $0 }
    }

    func sendAction(_ machine: borrowing Mutex<KafkaProducerStateMachine>) -> String {
        switch machine.withLock({ $0.beginSend() }) {
        case .produce(let generation): "produce \(generation)"
        case .fail(let error): "fail: \(error)"
        }
    }

    @Test func runningSendersProduceAndWaitForSpaceOfTheirGeneration() async {
        let machine = Mutex(KafkaProducerStateMachine())
        #expect(sendAction(machine) == "produce 0")
        #expect(await wait(machine, generation: 0) == "suspended", "queue full at the current generation: park")
        // The suspended sender above was woken by spaceFreed, which moved the generation on.
        #expect(sendAction(machine) == "produce 1")
        #expect(await wait(machine, generation: 0) == "retry", "room appeared since the failed attempt")
    }

    @Test func aSenderArrivingDuringShutdownFailsInsteadOfParkingForever() async {
        let machine = Mutex(KafkaProducerStateMachine())
        guard case .flushAndDestroy(let waiters) = machine.withLock({ $0.beginShutdown() }) else {
            Issue.record("running → shutting down")
            return
        }
        #expect(waiters.isEmpty)
        guard case .alreadyShuttingDown = machine.withLock({ $0.beginShutdown() }) else {
            Issue.record("a second shutdown is a no-op")
            return
        }
        #expect(sendAction(machine).hasPrefix("fail: "))
        let during = await wait(machine, generation: 0)
        #expect(during.hasPrefix("fail: "), "shutting down: \(during)")
        _ = machine.withLock { $0.finishShutdown() }
        #expect(await wait(machine, generation: 0).hasPrefix("fail: "), "shut down")
        #expect(machine.withLock { $0.fail(.shutDown("x")) }.isEmpty, "a failure after shutdown changes nothing")
    }

    @Test func aFailedProducerFailsEverySenderWithItsError() async {
        let machine = Mutex(KafkaProducerStateMachine())
        let error = KafkaError.shutDown("broker gone")
        #expect(machine.withLock { $0.fail(error) }.isEmpty)
        #expect(sendAction(machine) == "fail: \(error)")
        #expect(await wait(machine, generation: 0) == "fail: \(error)")
        #expect(machine.withLock { $0.fail(.shutDown("again")) }.isEmpty, "the first failure stays")
        #expect(sendAction(machine) == "fail: \(error)")
        guard case .flushAndDestroy = machine.withLock({ $0.beginShutdown() }) else {
            Issue.record("a failed producer still shuts down")
            return
        }
    }
}
