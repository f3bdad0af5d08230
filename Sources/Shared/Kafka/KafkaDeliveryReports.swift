import Foundation

/// Delivery reports of a producer, in the order librdkafka reported them. Ends when the producer shuts down.
///
/// Bounded: when the consumer falls behind by ``KafkaProducerConfiguration/deliveryReportCapacity``, the
/// producer stops draining librdkafka, so `send` waits rather than reports being dropped.
public struct KafkaDeliveryReports: AsyncSequence, Sendable {
    public typealias Element = KafkaDeliveryReport
    let buffer: BoundedHandoff<KafkaDeliveryReport>

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: BoundedHandoff<KafkaDeliveryReport>
        public mutating func next() async -> KafkaDeliveryReport? { await buffer.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// A bounded queue from one OS thread (which blocks when full) to one async consumer (which suspends when
/// empty). The producer's poll thread is ours, so blocking it is the back-pressure we want.
final class BoundedHandoff<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Element] = []
    private var head = 0
    private var waiter: CheckedContinuation<Element?, Never>?
    private var finished = false
    private var consumerGone = false
    private var dropped = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Hands over `element`, blocking while full. With `mayBlock == false` (shutdown) a full queue drops
    /// the element and counts it instead.
    func put(_ element: Element, mayBlock: Bool = true) {
        condition.lock()
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: element)
            return
        }
        while items.count - head >= capacity && !finished && !consumerGone {
            guard mayBlock else { dropped += 1; condition.unlock(); return }
            condition.wait()
        }
        if finished || consumerGone {
            dropped += 1
        } else {
            items.append(element)
        }
        condition.unlock()
    }

    func next() async -> Element? {
        await withTaskCancellationHandler {
            switch take() {
            case .element(let element): return element
            case .end: return nil
            case .empty:
                return await withCheckedContinuation { continuation in
                    // Re-checked under the lock: an element or the end may have arrived meanwhile.
                    switch take(orPark: continuation) {
                    case .element(let element): continuation.resume(returning: element)
                    case .end: continuation.resume(returning: nil)
                    case .empty: break
                    }
                }
            }
        } onCancel: {
            end(consumerGone: true)
        }
    }

    private enum Take {
        case element(Element)
        case end
        case empty
    }

    private func take(orPark continuation: CheckedContinuation<Element?, Never>? = nil) -> Take {
        condition.lock()
        defer { condition.unlock() }
        if head < items.count {
            let element = items[head]
            head += 1
            if head > 4096 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            condition.signal()
            return .element(element)
        }
        if finished || consumerGone { return .end }
        if let continuation { waiter = continuation }
        return .empty
    }

    /// Ends the sequence after the buffered elements; unblocks a waiting `put`.
    func finish() {
        end(consumerGone: false)
    }

    /// Elements dropped because the sequence had ended or its consumer was gone.
    var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped
    }

    private func end(consumerGone gone: Bool) {
        condition.lock()
        if gone { consumerGone = true } else { finished = true }
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}
