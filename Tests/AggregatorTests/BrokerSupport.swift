@testable import Aggregator
import Foundation
import Logging
import TickbusKafka
import TickbusMarket
import TickbusTestSupport

func createTickTopics(_ topics: TopicNames, sources: [SourceID], partitions: Int32) async throws {
    let admin = try KafkaAdmin(configuration: testClient(), logger: quietLogger)
    _ = try await admin.createTopics(sources.map { KafkaTopicSpecification(name: topics.ticks($0), partitions: partitions) })
    await admin.close()
}

/// Publishes live ticks (event time = now) for `markets` every `interval` for `duration`; returns them.
/// `partition` pins a base asset to a partition (nil: librdkafka's partitioner on the key).
func publishLiveTicks(
    _ producer: KafkaProducer, topics: TopicNames, markets: [(SourceID, String, Double)],
    for duration: Duration, every interval: Duration = .milliseconds(50), partition: ((String) -> Int32)? = nil
) async throws -> [Tick] {
    var published: [Tick] = []
    var prices = markets.map(\.2)
    var sequence: UInt64 = 0
    let end = ContinuousClock.now + duration
    while ContinuousClock.now < end {
        var batch: [KafkaProducerMessage] = []
        for (index, (source, instrumentText, _)) in markets.enumerated() {
            prices[index] *= 1 + Double.random(in: -0.0003...0.0003)
            let instrument = try Instrument(instrumentText)
            let now = WallClock.microseconds()
            sequence += 1
            let price = DecimalText(String(format: prices[index] < 10 ? "%.5f" : "%.2f", prices[index]))
            let tick = Tick(
                source: source, instrument: instrument, venueSymbol: instrumentText, kind: source == .chainlink ? .oracle : .trade,
                last: price, venueTime: now - 30_000, receiveTime: now, connection: 1, sequence: sequence, producer: "test")
            published.append(tick)
            batch.append(KafkaProducerMessage(
                topic: topics.ticks(source), partition: partition?(instrument.base),
                key: Array(instrument.base.utf8), value: TickCodec.encode(tick)))
        }
        _ = try await producer.send(contentsOf: batch)
        try await Task.sleep(for: interval)
    }
    _ = try await producer.flush(timeout: .seconds(10))
    return published
}

/// The records `aggregator replay` computes from the same ticks (sorted by event time), as JSON text.
func replayed(_ ticks: [Tick]) -> [AggregateRecord] {
    aggregate(ticks.sorted { ($0.eventTime, $0.sequence) < ($1.eventTime, $1.sequence) }).records
}

/// The time a record speaks for: a snapshot's or spread's second, a window record's `as_of` − 1 s.
func recordSecond(_ value: [UInt8]) throws -> Int64 {
    let root = try JSONDocument(parsing: value).root
    if let second = root["second"]?.int64 { return second }
    return (root["as_of"]?.int64 ?? 0) - 1_000_000
}
