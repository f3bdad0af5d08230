import Synchronization
import Testing
@testable import Producers

@Suite("Bounded queue")
struct BoundedQueueTests {
    @Test func fullQueueMakesSendersWaitAndLosesNothingInOrder() async throws {
        let queue = BoundedQueue<Int>(capacity: 3)
        let sent = Mutex(0)
        let producer = Task {
            for value in 0..<100 {
                await queue.send(value)
                sent.withLock { $0 += 1 }
            }
            queue.finish()
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(sent.withLock { $0 } == 3, "three fit, the fourth send waits")
        #expect(queue.depth == 3)
        var received: [Int] = []
        while let value = await queue.next() {
            received.append(value)
            #expect(queue.depth <= 3)
        }
        await producer.value
        #expect(received == Array(0..<100))
        #expect(queue.isFinished)
    }

    @Test func manySendersEachKeepTheirOrder() async throws {
        let queue = BoundedQueue<(sender: Int, value: Int)>(capacity: 2)
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<4 {
                group.addTask { for value in 0..<250 { await queue.send((sender, value)) } }
            }
            group.addTask {
                var next = [Int](repeating: 0, count: 4)
                var count = 0
                while count < 1000, let item = await queue.next() {
                    #expect(item.value == next[item.sender])
                    next[item.sender] += 1
                    count += 1
                }
                #expect(next == [250, 250, 250, 250])
            }
        }
    }
}
