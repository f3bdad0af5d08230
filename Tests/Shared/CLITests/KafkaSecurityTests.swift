import ArgumentParser
import Foundation
import Testing
@testable import TickbusCLI
import TickbusKafka

/// Kafka TLS and SASL from the environment: librdkafka's properties exactly, and every bad setting refused
/// with a message that names it and never shows the password.
@Suite("Kafka security settings")
struct KafkaSecurityTests {
    let password = "s3cret-Pa55word"

    func properties(_ environment: [String: String]) throws -> [String: String] {
        try KafkaOptions.parse([]).resolve(clientID: "test", environment: environment).configuration.properties
    }

    func message(_ environment: [String: String]) -> String {
        do {
            _ = try properties(environment)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func plaintextByDefault() throws {
        #expect(try properties([:]) == ["security.protocol": "plaintext"])
    }

    @Test func saslSSLWithAPasswordFileAndACA() throws {
        let directory = NSTemporaryDirectory() + "kafka-security-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try (password + "\n").write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: directory + "/ca.pem", atomically: true, encoding: .utf8)
        let resolved = try properties([
            "TICKBUS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "TICKBUS_KAFKA_SASL_MECHANISM": "scram-sha-256",
            "TICKBUS_KAFKA_SASL_USERNAME": "tickbus", "TICKBUS_KAFKA_SASL_PASSWORD_FILE": directory + "/password",
            "TICKBUS_KAFKA_SSL_CA_FILE": directory + "/ca.pem",
        ])
        #expect(resolved == [
            "security.protocol": "sasl_ssl", "sasl.mechanism": "SCRAM-SHA-256", "sasl.username": "tickbus",
            "sasl.password": password, "ssl.ca.location": directory + "/ca.pem",
        ])
        #expect(KafkaConfiguration.isSecret("sasl.password"))
        let plain = try properties([
            "TICKBUS_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "TICKBUS_KAFKA_SASL_USERNAME": "u", "TICKBUS_KAFKA_SASL_PASSWORD": password,
        ])
        #expect(plain["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(plain["ssl.ca.location"] == nil)
    }

    @Test(arguments: [
        (["TICKBUS_KAFKA_SECURITY_PROTOCOL": "tls"], "TICKBUS_KAFKA_SECURITY_PROTOCOL"),
        (["TICKBUS_KAFKA_SECURITY_PROTOCOL": "ssl", "TICKBUS_KAFKA_SSL_CA_FILE": "/nonexistent/ca.pem"], "TICKBUS_KAFKA_SSL_CA_FILE"),
        (["TICKBUS_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "TICKBUS_KAFKA_SASL_PASSWORD": "s3cret-Pa55word"], "TICKBUS_KAFKA_SASL_USERNAME"),
        (["TICKBUS_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "TICKBUS_KAFKA_SASL_USERNAME": "u"], "TICKBUS_KAFKA_SASL_PASSWORD"),
        (["TICKBUS_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "TICKBUS_KAFKA_SASL_USERNAME": "u", "TICKBUS_KAFKA_SASL_PASSWORD_FILE": "/nonexistent"],
         "TICKBUS_KAFKA_SASL_PASSWORD_FILE"),
        (["TICKBUS_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "TICKBUS_KAFKA_SASL_USERNAME": "u", "TICKBUS_KAFKA_SASL_PASSWORD": "s3cret-Pa55word",
          "TICKBUS_KAFKA_SASL_MECHANISM": "GSSAPI"], "TICKBUS_KAFKA_SASL_MECHANISM"),
    ])
    func badSettingsAreNamedAndThePasswordNeverShown(environment: [String: String], setting: String) {
        let text = message(environment)
        #expect(text.contains(setting), "\(text)")
        #expect(!text.contains(password))
    }
}
