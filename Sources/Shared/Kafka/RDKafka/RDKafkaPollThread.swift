import Foundation
import Synchronization

/// A dedicated OS thread that repeatedly runs a blocking librdkafka poll, so the cooperative pool never
/// blocks on one. The body returns `false` to end the loop.
final class RDKafkaPollThread: Sendable {
    private let name: String
    private let running = Atomic<Bool>(false)
    private let exited = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    init(name: String) {
        self.name = name
    }

    var isRunning: Bool { running.load(ordering: .acquiring) }

    func start(_ body: @escaping @Sendable () -> Bool) {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring), body() {}
            running.store(false, ordering: .releasing)
            let waiters = exited.withLock { state in
                state.done = true
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = name
        thread.start()
    }

    /// Asks the loop to end and waits until the current poll has returned.
    func stop() async {
        running.store(false, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = exited.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }
}
