internal import CRdKafka

/// Builds an `rd_kafka_conf_t` from properties; errors never echo the value of a secret property.
enum RDKafkaConfig {
    static func make(_ properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            var errorText = [CChar](repeating: 0, count: 512)
            let result = rd_kafka_conf_set(conf, name, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let reason = KafkaConfiguration.isSecret(name)
                    ? "invalid value for property '\(name)' (value redacted)"
                    : String(errorBuffer: errorText)
                throw KafkaError(code: .invalidConfiguration, reason: reason)
            }
        }
        return conf
    }

    /// `properties` rendered for logs, with secret values replaced.
    static func redacted(_ properties: [String: String]) -> String {
        properties.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(KafkaConfiguration.isSecret($0.key) ? "[REDACTED]" : $0.value)" }
            .joined(separator: " ")
    }
}

extension String {
    /// Text librdkafka wrote into a caller-provided, NUL-terminated error buffer.
    init(errorBuffer: [CChar]) {
        self.init(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
