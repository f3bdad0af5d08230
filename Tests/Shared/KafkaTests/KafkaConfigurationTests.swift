import Logging
import Testing
import TickbusTestSupport
@testable import TickbusKafka

@Suite("Kafka configuration")
struct KafkaConfigurationTests {
    @Test func secretPropertiesAreRecognised() {
        #expect(KafkaConfiguration.isSecret("sasl.password"))
        #expect(KafkaConfiguration.isSecret("ssl.key.password"))
        #expect(KafkaConfiguration.isSecret("sasl.oauthbearer.client.secret"))
        #expect(KafkaConfiguration.isSecret("ssl.key.pem"))
        #expect(!KafkaConfiguration.isSecret("sasl.username"))
        #expect(!KafkaConfiguration.isSecret("bootstrap.servers"))
    }

    @Test func typedSettingsBecomeLibrdkafkaProperties() {
        var configuration = KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: ["a:1", "b:2"]))
        configuration.linger = .milliseconds(20)
        configuration.client.properties = ["linger.ms": "7", "sasl.username": "u"]
        let properties = configuration.rdkafkaProperties()
        #expect(properties["bootstrap.servers"] == "a:1,b:2")
        #expect(properties["enable.idempotence"] == "true")
        #expect(properties["acks"] == "all")
        #expect(properties["compression.type"] == "lz4")
        #expect(properties["partitioner"] == "murmur2_random")
        #expect(properties["linger.ms"] == "7", "raw properties override typed ones")
        #expect(properties["sasl.username"] == "u")

        let consumer = KafkaConsumerConfiguration(client: KafkaConfiguration(bootstrapServers: ["a:1"]), groupID: "g")
        let consumerProperties = consumer.rdkafkaProperties()
        #expect(consumerProperties["enable.auto.offset.store"] == "false")
        #expect(consumerProperties["enable.auto.commit"] == "false")
        #expect(consumerProperties["group.id"] == "g")
        #expect(consumerProperties["partition.assignment.strategy"] == "range")
        #expect(consumerProperties["fetch.queue.backoff.ms"] == "10")
    }

    @Test func invalidValueNamesTheProperty() {
        var configuration = KafkaProducerConfiguration(client: KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"]))
        configuration.client.properties = ["compression.codec": "brotli"]
        let error = #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: .quiet) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.reason.contains("compression.codec") == true)
    }

    @Test func secretsAreRedactedFromRenderedConfigurationAndScrubbedText() {
        let rendered = RDKafkaConfig.redacted(["sasl.password": "hunter2", "sasl.username": "alice"])
        #expect(rendered == "sasl.password=[REDACTED] sasl.username=alice")

        var configuration = KafkaConfiguration(bootstrapServers: ["x:1"])
        configuration.properties = ["sasl.password": "hunter2"]
        let context = RDKafkaClientContext(logger: .quiet, configuration: configuration, role: "test")
        #expect(context.scrub("auth failed for hunter2 at x:1") == "auth failed for [REDACTED] at x:1")
    }

    @Test func secretsNeverReachTheLogs() async throws {
        let secret = "pa55-\(uniqueName("s"))"
        let handler = CapturingLogHandler()
        var client = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        client.properties = [
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
            "sasl.username": "alice", "sasl.password": secret, "debug": "conf,security,broker",
        ]
        var configuration = KafkaProducerConfiguration(client: client)
        configuration.shutdownFlushTimeout = .milliseconds(100)
        let producer = try KafkaProducer(configuration: configuration, logger: .capturing(handler))
        try? await Task.sleep(for: .milliseconds(300))
        await producer.shutdown()
        let lines = handler.all
        // The debug output really was captured (it mentions the username), and never the password.
        #expect(lines.contains { $0.contains("alice") })
        #expect(!lines.contains { $0.contains(secret) })
    }

    @Test func durationsConvertToLibrdkafkaMilliseconds() {
        #expect(Duration.milliseconds(1500).milliseconds == 1500)
        #expect(Duration.seconds(2).timeoutMilliseconds == 2000)
        #expect(Duration.seconds(-1).timeoutMilliseconds == 0)
        #expect(Duration.seconds(Int64.max / 2).timeoutMilliseconds == Int32.max)
    }
}
