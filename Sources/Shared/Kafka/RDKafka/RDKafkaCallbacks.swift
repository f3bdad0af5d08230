internal import CRdKafka
import Logging

/// C entry points installed on every handle. Each finds its ``RDKafkaClientContext`` through the opaque
/// pointer; none captures Swift state, as C function pointers must not.
enum RDKafkaCallbacks {
    static let log: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = {
        handle, level, facility, message in
        guard let handle, let context = RDKafkaClientContext.from(rd_kafka_opaque(handle)) else { return }
        let text = context.scrub(message.map { String(cString: $0) } ?? "")
        let facilityText = facility.map { String(cString: $0) } ?? ""
        context.logger.log(level: logLevel(syslog: level), "\(text)", metadata: ["kafka.facility": "\(facilityText)"])
    }

    static let error: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
        handle, code, reason, opaque in
        guard let handle, let context = RDKafkaClientContext.from(opaque) else { return }
        let err = rd_kafka_resp_err_t(code)
        if err == RD_KAFKA_RESP_ERR__FATAL {
            var text = [CChar](repeating: 0, count: 512)
            let underlying = rd_kafka_fatal_error(handle, &text, text.count)
            let error = KafkaError(
                code: KafkaError.Code(underlying),
                reason: context.scrub(String(errorBuffer: text)),
                isFatal: true
            )
            context.logger.critical("fatal librdkafka error", metadata: ["kafka.error": "\(error)"])
            context.onFatal?(error)
            return
        }
        // Transport errors are retried by librdkafka itself; they are reported, not fatal.
        let text = context.scrub(reason.map { String(cString: $0) } ?? "")
        context.statistics.recordError()
        context.logger.warning("librdkafka error", metadata: [
            "kafka.error": "\(String(cString: rd_kafka_err2name(err)))", "kafka.reason": "\(text)",
        ])
    }

    static let statistics: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
        _, json, length, opaque in
        guard let json, let context = RDKafkaClientContext.from(opaque) else { return 0 }
        let bytes = UnsafeRawBufferPointer(start: json, count: length)
        context.statistics.record(json: bytes)
        return 0  // librdkafka frees the buffer
    }

    static let delivery: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, opaque in
        guard let message, let context = RDKafkaClientContext.from(opaque) else { return }
        context.onDelivery?(message)
    }

    static let rebalance: @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
    ) -> Void = { handle, err, partitions, opaque in
        guard let handle, let partitions, let context = RDKafkaClientContext.from(opaque) else { return }
        context.onRebalance?(handle, err, partitions)
    }

    private static func logLevel(syslog level: Int32) -> Logger.Level {
        switch level {
        case ...2: .critical
        case 3: .error
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    }
}
