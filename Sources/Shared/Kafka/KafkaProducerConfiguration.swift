/// Configuration of a ``KafkaProducer``.
///
/// Defaults suit Tickbus' market data: idempotent, `acks=all`, lz4, a short linger, and a bounded local queue
/// so a slow broker back-pressures callers instead of buffering without limit.
public struct KafkaProducerConfiguration: Sendable {
    public enum Acks: String, Sendable {
        case none = "0", leader = "1", all = "all"
    }

    public enum Compression: String, Sendable {
        case none, gzip, snappy, lz4, zstd
    }

    public var client: KafkaConfiguration
    /// `enable.idempotence`: no duplicates or reordering from retries. Default: `true`.
    public var idempotent: Bool = true
    /// `acks`; idempotence requires `.all`. Default: `.all`.
    public var acks: Acks = .all
    /// `compression.type`. Default: `.lz4`.
    public var compression: Compression = .lz4
    /// `linger.ms`: how long a batch may wait to fill. Default: 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// `queue.buffering.max.messages`: the local queue bound; a full queue makes `send` wait. Default: 100 000.
    public var queueMaxMessages: Int = 100_000
    /// `queue.buffering.max.kbytes`: the local queue bound in bytes. Default: 256 MiB.
    public var queueMaxBytes: Int = 256 * 1024 * 1024
    /// `message.timeout.ms`: after this a message is reported as failed. Default: 120 s.
    public var messageTimeout: Duration = .seconds(120)
    /// `partitioner`; `murmur2_random` is the Java client's, so every Tickbus client co-partitions by key.
    /// Default: `"murmur2_random"`.
    public var partitioner: String = "murmur2_random"
    /// How long graceful shutdown waits for queued messages to be delivered. Default: 10 s.
    public var shutdownFlushTimeout: Duration = .seconds(10)
    /// Capacity of the delivery-report sequence (``KafkaProducer/makeProducerWithDeliveryReports``); when
    /// full, the producer stops polling librdkafka, whose queue then fills and makes `send` wait.
    /// Default: 65 536.
    public var deliveryReportCapacity: Int = 65_536

    public init(client: KafkaConfiguration) {
        self.client = client
    }

    func rdkafkaProperties() -> [String: String] {
        var result = client.baseProperties()
        result["enable.idempotence"] = idempotent ? "true" : "false"
        result["acks"] = acks.rawValue
        result["compression.type"] = compression.rawValue
        result["linger.ms"] = String(linger.milliseconds)
        result["queue.buffering.max.messages"] = String(queueMaxMessages)
        result["queue.buffering.max.kbytes"] = String(max(1, queueMaxBytes / 1024))
        result["message.timeout.ms"] = String(messageTimeout.milliseconds)
        result["partitioner"] = partitioner
        result.merge(client.properties) { _, raw in raw }
        return result
    }
}
