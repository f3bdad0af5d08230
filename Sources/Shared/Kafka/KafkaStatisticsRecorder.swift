import Foundation
import Metrics
import Synchronization

/// Turns librdkafka's periodic statistics JSON and the wrapper's own events into swift-metrics values,
/// labelled by client id and role. Names follow Prometheus conventions (base units, `_total` counters).
final class KafkaStatisticsRecorder: Sendable {
    private let dimensions: [(String, String)]
    private let queueMessages: Gauge
    private let queueBytes: Gauge
    private let transmittedMessages: Counter
    private let receivedMessages: Counter
    private let errors: Counter
    private let brokerRoundTrip: Gauge
    private let previous = Mutex<(tx: Int64, rx: Int64)>((0, 0))

    init(clientID: String, role: String) {
        dimensions = [("client_id", clientID), ("role", role)]
        queueMessages = Gauge(label: "kafka_client_queue_messages", dimensions: dimensions)
        queueBytes = Gauge(label: "kafka_client_queue_bytes", dimensions: dimensions)
        transmittedMessages = Counter(label: "kafka_client_transmitted_messages_total", dimensions: dimensions)
        receivedMessages = Counter(label: "kafka_client_received_messages_total", dimensions: dimensions)
        errors = Counter(label: "kafka_client_errors_total", dimensions: dimensions)
        brokerRoundTrip = Gauge(label: "kafka_client_broker_rtt_seconds", dimensions: dimensions)
    }

    func recordError() {
        errors.increment()
    }

    /// Records one statistics document (see librdkafka's STATISTICS.md); unknown shapes are ignored.
    func record(json: UnsafeRawBufferPointer) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return }
        func int(_ key: String) -> Int64? { (object[key] as? NSNumber)?.int64Value }
        if let messages = int("msg_cnt") { queueMessages.record(messages) }
        if let bytes = int("msg_size") { queueBytes.record(bytes) }
        let tx = int("txmsgs") ?? 0, rx = int("rxmsgs") ?? 0
        let (txDelta, rxDelta) = previous.withLock { last in
            defer { last = (tx, rx) }
            return (max(0, tx - last.tx), max(0, rx - last.rx))
        }
        if txDelta > 0 { transmittedMessages.increment(by: txDelta) }
        if rxDelta > 0 { receivedMessages.increment(by: rxDelta) }
        if let brokers = object["brokers"] as? [String: Any] {
            let averages = brokers.values.compactMap { broker -> Double? in
                guard let rtt = (broker as? [String: Any])?["rtt"] as? [String: Any],
                      let average = (rtt["avg"] as? NSNumber)?.doubleValue, average > 0 else { return nil }
                return average / 1_000_000  // µs → s
            }
            if let worst = averages.max() { brokerRoundTrip.record(worst) }
        }
    }
}
