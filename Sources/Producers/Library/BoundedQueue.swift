import Synchronization

/// A bounded multi-producer, single-consumer async queue: `send` suspends while full (back-pressure,
/// nothing dropped), `next` suspends while empty. Its depth is readable for metrics.
final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var finished = false
        var receiver: CheckedContinuation<Element?, Never>?
        var senders: [CheckedContinuation<Void, Never>] = []
        var count: Int { items.count - head }
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var depth: Int { state.withLock { $0.count } }
    var isFinished: Bool { state.withLock { $0.finished } }

    private enum SendOutcome {
        case done
        case handTo(CheckedContinuation<Element?, Never>)
        case wait
    }

    func send(_ element: Element) async {
        while true {
            let outcome: SendOutcome = state.withLock { state in
                if state.finished { return .done }
                if let receiver = state.receiver {
                    state.receiver = nil
                    return .handTo(receiver)
                }
                guard state.count < capacity else { return .wait }
                state.items.append(element)
                return .done
            }
            switch outcome {
            case .done:
                return
            case .handTo(let receiver):
                receiver.resume(returning: element)
                return
            case .wait:
                // Park until `next` frees a slot (re-checked under the lock), then try again.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let parked = state.withLock { state in
                        guard !state.finished, state.count >= capacity, state.receiver == nil else { return false }
                        state.senders.append(continuation)
                        return true
                    }
                    if !parked { continuation.resume() }
                }
            }
        }
    }

    func next() async -> Element? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
            let outcome: (Element??, CheckedContinuation<Void, Never>?) = state.withLock { state in
                if state.count > 0 {
                    let element = state.items[state.head]
                    state.head += 1
                    if state.head > 1024, state.head * 2 > state.items.count {
                        state.items.removeFirst(state.head)
                        state.head = 0
                    }
                    let sender = state.senders.isEmpty ? nil : state.senders.removeFirst()
                    return (.some(element), sender)
                }
                if state.finished { return (.some(nil), nil) }
                state.receiver = continuation
                return (nil, nil)
            }
            outcome.1?.resume()
            if let element = outcome.0 { continuation.resume(returning: element) }
        }
    }

    /// Ends the queue: pending elements are still delivered, then `next` returns `nil`.
    func finish() {
        let (receiver, senders) = state.withLock { state in
            state.finished = true
            defer { state.receiver = nil; state.senders.removeAll() }
            return (state.receiver, state.senders)
        }
        receiver?.resume(returning: nil)
        for sender in senders { sender.resume() }
    }
}
