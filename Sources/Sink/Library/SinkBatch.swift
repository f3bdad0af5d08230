import TickbusKafka
import TickbusMarket

/// The rows of one table accumulated for the next write, in COPY text form.
struct TableRows {
    var writer = CopyTextWriter()
    /// Start offset of every row in `writer.bytes`.
    var rowStarts: [Int] = []
    /// Time-column value of every row (its daily partition).
    var times: [Int64] = []
    /// The record each row came from (for `dlq.sink` when Postgres refuses the row).
    var origins: [KafkaConsumerMessage] = []
    /// Rows replaced by a newer version of the same window within this batch.
    var superseded: [Bool] = []
    private var windowRows: [String: (row: Int, rank: Int64)] = [:]

    var count: Int { rowStarts.count }

    func range(ofRow row: Int) -> Range<Int> {
        rowStarts[row]..<(row + 1 < rowStarts.count ? rowStarts[row + 1] : writer.count)
    }

    /// The rows to write: all but superseded window versions.
    var liveRows: [Int] { (0..<count).filter { !superseded[$0] } }

    mutating func appended(start: Int, info: RowInfo, origin: KafkaConsumerMessage) {
        rowStarts.append(start)
        origins.append(origin)
        times.append(info.time)
        superseded.append(false)
        guard let key = info.windowKey else { return }
        let row = count - 1
        if let previous = windowRows[key] {
            if info.rank >= previous.rank {
                superseded[previous.row] = true
                windowRows[key] = (row, info.rank)
            } else {
                superseded[row] = true
            }
        } else {
            windowRows[key] = (row, info.rank)
        }
    }
}

/// A record the sink will never be able to write, bound for `dlq.sink`.
struct SinkDeadLetter: Sendable, Equatable {
    var topic: String
    var partition: Int32
    var offset: Int64
    var value: [UInt8]
    var reason: String
}

/// Everything polled since the last write: rows per table, the next offset of every partition they came
/// from (committed once the rows are), and the records that could not be encoded.
struct SinkBatch {
    var tables: [SinkTable: TableRows] = [:]
    var nextOffsets: [KafkaTopicPartition: Int64] = [:]
    var deadLetters: [SinkDeadLetter] = []
    /// Rows older than their table's retention: not written (their partition is gone), counted.
    var expired: [SinkTable: Int] = [:]
    var messages = 0
    var rows = 0
    var bytes = 0
    var startedAt: ContinuousClock.Instant?

    struct Limits {
        var topics = TopicNames()
        /// Rows newer than now + this are refused (no partition is made that far ahead).
        var maximumFuture: Int64 = 3 * 86_400_000_000
        /// Per table: rows with a time before this are expired (µs; `nil` keeps everything).
        var retentionCutoff: [SinkTable: Int64] = [:]
    }

    var isEmpty: Bool { messages == 0 }

    mutating func add(_ message: KafkaConsumerMessage, limits: Limits, now: Int64) {
        if startedAt == nil { startedAt = .now }
        messages += 1
        bytes += message.value.count
        let partition = message.topicPartition
        nextOffsets[partition] = max(nextOffsets[partition] ?? 0, message.offset + 1)
        guard let table = SinkTable.table(forTopic: message.topic, topics: limits.topics) else { return }
        // Taken out of the dictionary so its buffer is uniquely referenced while appending.
        var rows = tables.removeValue(forKey: table) ?? TableRows()
        defer { tables[table] = rows }
        let start = rows.writer.count
        let info: RowInfo
        if table == .deadLetters {
            info = RowEncoder.encodeDeadLetter(
                message.value, topic: message.topic, partition: message.partition, offset: message.offset,
                kafkaTimestampMillis: message.timestamp, into: &rows.writer)
        } else {
            do {
                info = try RowEncoder.encode(message.value, table: table, into: &rows.writer)
            } catch {
                deadLetters.append(SinkDeadLetter(
                    topic: message.topic, partition: message.partition, offset: message.offset,
                    value: message.value, reason: "\(table.name): \(error.reason)"))
                return
            }
        }
        if info.time > now + limits.maximumFuture {
            rows.writer.bytes.removeSubrange(start...)
            deadLetters.append(SinkDeadLetter(
                topic: message.topic, partition: message.partition, offset: message.offset, value: message.value,
                reason: "\(table.name): \(table.timeColumn) is more than \(limits.maximumFuture / 86_400_000_000) days ahead"))
            return
        }
        if let cutoff = limits.retentionCutoff[table], info.time < cutoff {
            rows.writer.bytes.removeSubrange(start...)
            expired[table, default: 0] += 1
            return
        }
        rows.appended(start: start, info: info, origin: message)
        self.rows += 1
    }
}
