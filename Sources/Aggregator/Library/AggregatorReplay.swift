import TickbusMarket

/// `aggregator replay`: tick JSON lines in, snapshot/window/spread JSON lines out, event time only,
/// everything final flushed at the end of input. Bad lines are reported through `diagnostics`, never fatal.
public enum AggregatorReplay {
    public static func run(
        input: Int32, output: Int32, configuration: AggregatorConfiguration = AggregatorConfiguration(),
        diagnostics: (String) -> Void
    ) throws -> AggregationEngine.Counters {
        var engine = AggregationEngine(configuration: configuration)
        var reader = LineReader(fileDescriptor: input)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var lineNumber = 0
        while let line = try reader.nextLine() {
            lineNumber += 1
            if line.isEmpty { continue }
            let outcome = line.withUnsafeBufferPointer { engine.ingest(line: $0) }
            if case .invalid(let reason) = outcome { diagnostics("line \(lineNumber): \(reason)") }
            if engine.hasRecords {
                for record in engine.takeRecords() {
                    AggregateRecordCodec.encode(record, into: &buffer)
                    buffer.append(0x0A)
                }
                if buffer.count >= (1 << 20) - 4096 {
                    try writeAll(buffer, to: output)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        engine.finish()
        for record in engine.takeRecords() {
            AggregateRecordCodec.encode(record, into: &buffer)
            buffer.append(0x0A)
        }
        try writeAll(buffer, to: output)
        return engine.counters
    }
}
