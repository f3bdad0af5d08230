import ArgumentParser
import Foundation
import Logging
import TickbusKafka

/// `make bench-kafka`: produce then consume N messages through the wrapper and through kcat against the
/// same broker in the same run, with the same producer settings, and print msgs/s of each and the ratio.
@main
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-bench",
        abstract: "Throughput of the Kafka wrapper vs kcat (produce, then consume).")

    @Option(help: "Broker address.")
    var brokers = ProcessInfo.processInfo.environment["TICKBUS_KAFKA_BROKERS"] ?? "127.0.0.1:19092"
    @Option(help: "Messages per run.")
    var messages = 1_000_000
    @Option(help: "Value size in bytes (keys add ~10).")
    var size = 150
    @Option(help: "Partitions of each benchmark topic.")
    var partitions: Int32 = 4
    @Option(help: "kcat executable.")
    var kcat = "kcat"
    @Option(help: "Largest batch one consumer poll returns.")
    var consumeBatch = 10_000
    @Option(name: .customLong("consumer-property"), help: "Extra librdkafka property for the wrapper's consumer (k=v), repeatable.")
    var consumerProperties: [String] = []
    @Option(help: "Rounds; each runs kcat and the wrapper (alternating which goes first); the median of each is reported.")
    var rounds = 5

    func run() async throws {
        var logger = Logger(label: "kafka-bench")
        logger.logLevel = .warning
        print("kafka-bench: \(messages) messages of ~\(size) B, \(partitions) partitions, broker \(brokers), median of \(rounds) rounds")
        var samples: [[Double]] = [[], [], [], [], []]
        for round in 1...max(1, rounds) {
            let times = try await runRound(logger: logger, wrapperFirst: round % 2 == 0)
            print(String(format: "round %d: produce kcat %.2f s, wrapper %.2f s, wrapper batched %.2f s; consume kcat %.2f s, wrapper %.2f s",
                         round, times.kcatProduce, times.wrapperProduce, times.batchProduce, times.kcatConsume, times.wrapperConsume))
            for (index, value) in [times.kcatProduce, times.wrapperProduce, times.batchProduce, times.kcatConsume, times.wrapperConsume].enumerated() {
                samples[index].append(value)
            }
        }
        let medians = samples.map { $0.sorted()[$0.count / 2] }
        let (kcatProduce, wrapperProduce, batchProduce, kcatConsume, wrapperConsume) = (medians[0], medians[1], medians[2], medians[3], medians[4])

        func rate(_ seconds: Double) -> Double { Double(messages) / seconds }
        let rows = [
            ("produce", rate(kcatProduce), rate(wrapperProduce)),
            ("produce (send(contentsOf:), 1000/call)", rate(kcatProduce), rate(batchProduce)),
            ("consume", rate(kcatConsume), rate(wrapperConsume)),
        ]
        print("")
        print("direction".padding(toLength: 40, withPad: " ", startingAt: 0) + "kcat msgs/s   wrapper msgs/s   wrapper/kcat")
        for (name, kcatRate, wrapperRate) in rows {
            print(
                name.padding(toLength: 39, withPad: " ", startingAt: 0),
                String(format: "%11.0f   %14.0f   %11.2fx", kcatRate, wrapperRate, wrapperRate / kcatRate))
        }
    }

    func runRound(logger: Logger, wrapperFirst: Bool) async throws -> (kcatProduce: Double, wrapperProduce: Double, batchProduce: Double, kcatConsume: Double, wrapperConsume: Double) {
        let kcat = self.kcat, brokers = self.brokers, messages = self.messages, partitions = self.partitions
        let consumeBatch = self.consumeBatch
        var consumerClient = KafkaConfiguration(bootstrapServers: [brokers])
        for property in consumerProperties {
            let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { consumerClient.properties[parts[0]] = parts[1] }
        }
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let kcatTopic = "bench-kcat-\(run)", wrapperTopic = "bench-wrapper-\(run)", wrapperBatchTopic = "bench-batch-\(run)"
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: [brokers]), logger: logger)
        _ = try await admin.createTopics([kcatTopic, wrapperTopic, wrapperBatchTopic].map {
            KafkaTopicSpecification(name: $0, partitions: partitions)
        })
        await admin.close()

        // Same payloads for both: "key-N:value" lines for kcat, the same pairs for the wrapper.
        let payload = String(repeating: "x", count: max(1, size - 24))
        func record(_ index: Int) -> (key: String, value: String) {
            ("key-\(index % 1000)", "{\"seq\":\(String(index).padding(toLength: 10, withPad: " ", startingAt: 0)),\"p\":\"\(payload)\"}")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-bench-\(run).txt")
        var text = ""
        text.reserveCapacity(messages * (size + 16))
        for index in 0..<messages {
            let (key, value) = record(index)
            text += key + "\t" + value + "\n"
        }
        try text.write(to: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let producerProperties = [
            "enable.idempotence=true", "acks=all", "compression.type=lz4", "linger.ms=5",
            "queue.buffering.max.messages=100000", "partitioner=murmur2_random",
        ]

        func kcatProduceRun() throws -> Double {
            try measure {
                try runProcess(kcat, ["-P", "-b", brokers, "-t", kcatTopic, "-K", "\t", "-l", file.path]
                    + producerProperties.flatMap { ["-X", $0] })
            }
        }
        var configuration = KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: [brokers]))
        configuration.linger = .milliseconds(5)
        configuration.client.statisticsInterval = nil
        let records = (0..<messages).map { index -> KafkaProducerMessage in
            let (key, value) = record(index)
            return KafkaProducerMessage(topic: wrapperTopic, key: key, value: value)
        }
        let batchRecords = records.map { message in
            var copy = message
            copy.topic = wrapperBatchTopic
            return copy
        }
        func wrapperBatchProduceRun() async throws -> Double {
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            let seconds = try await measureAsync {
                var start = 0
                while start < batchRecords.count {
                    let end = min(start + 1000, batchRecords.count)
                    try await producer.send(contentsOf: batchRecords[start..<end])
                    start = end
                }
                let left = try await producer.flush(timeout: .seconds(300))
                guard left == 0 else { throw ValidationError("\(left) messages undelivered") }
            }
            await producer.shutdown()
            return seconds
        }
        func wrapperProduceRun() async throws -> Double {
            let producer = try KafkaProducer(configuration: configuration, logger: logger)
            let seconds = try await measureAsync {
                for message in records { try await producer.send(message) }
                let left = try await producer.flush(timeout: .seconds(300))
                guard left == 0 else { throw ValidationError("\(left) messages undelivered") }
            }
            await producer.shutdown()
            return seconds
        }
        func kcatConsumeRun() throws -> Double {
            try measure {
                try runProcess(kcat, ["-C", "-b", brokers, "-t", kcatTopic, "-o", "beginning", "-e", "-q", "-f", "%s\n"])
            }
        }
        func wrapperConsumeRun() async throws -> Double {
            let consumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(client: consumerClient), logger: logger)
            try await consumer.assign(Dictionary(uniqueKeysWithValues: (0..<partitions).map {
                (KafkaTopicPartition(topic: wrapperTopic, partition: $0), KafkaOffset.beginning)
            }))
            var consumed = 0
            let seconds = try await measureAsync {
                while consumed < messages {
                    consumed += try await consumer.poll(maxMessages: consumeBatch, timeout: .milliseconds(100)).count
                }
            }
            await consumer.close()
            return seconds
        }

        if wrapperFirst {
            let wrapperProduce = try await wrapperProduceRun(), batchProduce = try await wrapperBatchProduceRun()
            let kcatProduce = try kcatProduceRun()
            let wrapperConsume = try await wrapperConsumeRun(), kcatConsume = try kcatConsumeRun()
            return (kcatProduce, wrapperProduce, batchProduce, kcatConsume, wrapperConsume)
        } else {
            let kcatProduce = try kcatProduceRun()
            let wrapperProduce = try await wrapperProduceRun(), batchProduce = try await wrapperBatchProduceRun()
            let kcatConsume = try kcatConsumeRun(), wrapperConsume = try await wrapperConsumeRun()
            return (kcatProduce, wrapperProduce, batchProduce, kcatConsume, wrapperConsume)
        }
    }
}

func measure(_ body: () throws -> Void) throws -> Double {
    let start = ContinuousClock.now
    try body()
    return seconds(ContinuousClock.now - start)
}

func measureAsync(_ body: () async throws -> Void) async throws -> Double {
    let start = ContinuousClock.now
    try await body()
    return seconds(ContinuousClock.now - start)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func runProcess(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ValidationError("\(executable) exited with \(process.terminationStatus)")
    }
}
