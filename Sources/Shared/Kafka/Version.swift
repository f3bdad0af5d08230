internal import CRdKafka
public enum RDKafkaVersion { public static var string: String { String(cString: rd_kafka_version_str()) } }
