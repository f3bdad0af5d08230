import Foundation
import TickbusMarket

/// `make bench-aggregate`: `aggregator replay` throughput in ticks/s on one core, with its peak memory, on
/// generated tick files of two lengths (memory must not grow with length). Reference printed beside it:
/// Foundation's JSONSerialization parsing the same lines (parse only, in this process).
///
/// Ticks: twelve sources (the RTDS relays chainlink and binance_rtds ~1/s each, ten venues ~100/s each, plus
/// the USDT-USD and USDT-KRW legs), a random walk around 100 000, so 1 000 000 ticks span ~16 minutes of event
/// time and cross a window boundary.
let arguments = CommandLine.arguments.dropFirst()
let tickCount = Int(arguments.first ?? "") ?? 1_000_000
let replayBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("aggregator").path

struct Market {
    var source: SourceID
    var instrument: Instrument
    var price: Double
    var perSecond: Double
}

func generate(count: Int, to path: String) throws {
    var markets: [Market] = [
        Market(source: .chainlink, instrument: try Instrument("BTC-USD"), price: 100_000, perSecond: 1),
        Market(source: .binanceRTDS, instrument: try Instrument("BTC-USDT"), price: 100_010, perSecond: 1),
        Market(source: .coinbase, instrument: try Instrument("USDT-USD"), price: 1.0002, perSecond: 5),
        Market(source: .upbit, instrument: try Instrument("USDT-KRW"), price: 1_400, perSecond: 5),
        Market(source: .coinbase, instrument: try Instrument("BTC-USD"), price: 100_000, perSecond: 100),
        Market(source: .upbit, instrument: try Instrument("BTC-KRW"), price: 140_000_000, perSecond: 100),
    ]
    for source: SourceID in [.binance, .okx, .bybit, .bitget, .gate, .kucoin, .mexc, .htx] {
        markets.append(Market(source: source, instrument: try Instrument("BTC-USDT"), price: 100_010, perSecond: 100))
    }
    let totalRate = markets.reduce(0) { $0 + $1.perSecond }
    var time: Int64 = 1_800_000_000_000_000 - 60_000_000
    var sequence: UInt64 = 0
    var random = SystemRandomNumberGenerator()
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 22)
    for _ in 0..<count {
        time += Int64(1_000_000 / totalRate * Double.random(in: 0.5...1.5, using: &random))
        var pick = Double.random(in: 0..<totalRate, using: &random)
        var index = 0
        while pick >= markets[index].perSecond { pick -= markets[index].perSecond; index += 1 }
        markets[index].price *= 1 + Double.random(in: -0.0001...0.0001, using: &random)
        sequence += 1
        let market = markets[index]
        let decimals = market.price < 10 ? 5 : 2
        let mid = String(format: "%.\(decimals)f", market.price)
        let tick = market.source.isOracle || sequence % 4 == 0
            ? Tick(source: market.source, instrument: market.instrument, venueSymbol: "x", kind: market.source.isOracle ? .oracle : .trade,
                   last: DecimalText(mid), venueTime: time - 800_000, receiveTime: time, connection: 1, sequence: sequence, producer: "bench")
            : Tick(source: market.source, instrument: market.instrument, venueSymbol: "x", kind: .quote,
                   bid: DecimalText(mid), bidSize: DecimalText("0.51200000"),
                   ask: DecimalText(String(format: "%.\(decimals)f", market.price * 1.00001)), askSize: DecimalText("1.20000000"),
                   venueTime: market.source == .binance ? nil : time - 20_000, receiveTime: time, connection: 1, sequence: sequence, producer: "bench")
        TickCodec.encode(tick, into: &buffer)
        buffer.append(0x0A)
        if buffer.count > (1 << 22) - 1024 { handle.write(Data(buffer)); buffer.removeAll(keepingCapacity: true) }
    }
    handle.write(Data(buffer))
    try handle.close()
}

/// Runs `aggregator replay < input > file`; returns wall seconds, the child's peak RSS (KiB) and records written.
func replay(_ input: String) -> (seconds: Double, peakKiB: Int, records: Int) {
    let inFD = open(input, O_RDONLY)
    let outPath = input + ".out"
    let outFD = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let errPath = input + ".err"
    let errFD = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    defer { close(inFD); close(outFD); close(errFD); unlink(outPath); unlink(errPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, inFD, 0)
    posix_spawn_file_actions_adddup2(&actions, outFD, 1)
    posix_spawn_file_actions_adddup2(&actions, errFD, 2)
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(replayBinary), strdup("replay"), nil]
    let start = ContinuousClock.now
    guard posix_spawn(&pid, replayBinary, &actions, nil, argv, environ) == 0 else { fatalError("cannot start \(replayBinary)") }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    let elapsed = ContinuousClock.now - start
    guard status == 0 else { fatalError("aggregator replay exited with \(status)") }
    let records = (try? String(contentsOfFile: outPath, encoding: .utf8))?.utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } ?? 0
    // The child reports its own VmHWM: rusage would include the pages it shared with this process before exec.
    let summary = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    guard let range = summary.range(of: #"peak memory (\d+) KiB"#, options: .regularExpression) else { fatalError("no summary: \(summary)") }
    let peak = Int(summary[range].split(separator: " ")[2]) ?? -1
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, peak, records)
}

func referenceRate(_ path: String, lines limit: Int) -> Double {
    let lines = (try! String(contentsOfFile: path, encoding: .utf8)).split(separator: "\n", maxSplits: limit).prefix(limit).map { Data($0.utf8) }
    let start = ContinuousClock.now
    var parsed = 0
    for line in lines where (try? JSONSerialization.jsonObject(with: line)) != nil { parsed += 1 }
    let elapsed = ContinuousClock.now - start
    precondition(parsed == lines.count)
    return Double(lines.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

func main() throws {
    let directory = FileManager.default.temporaryDirectory.path
    print("aggregate-bench: `aggregator replay` on generated ticks (12 sources, ~1 000 ticks/s of event time), one core")
    print("ticks        ticks/s      MB/s   records   peak RSS MiB   JSONSerialization parse ticks/s   ratio")
    var reference = Double.nan
    for count in [tickCount, tickCount * 3] {
        let path = "\(directory)/tickbus-aggregate-\(count).jsonl"
        try generate(count: count, to: path)
        defer { unlink(path) }
        if reference.isNaN { reference = referenceRate(path, lines: min(count, 200_000)) }
        if ProcessInfo.processInfo.environment["KEEP_TICKS"] != nil { try? FileManager.default.copyItem(atPath: path, toPath: path + ".kept") }
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var runs: [(seconds: Double, peakKiB: Int, records: Int)] = []
        for _ in 0..<3 { runs.append(replay(path)) }
        let best = runs.min { $0.seconds < $1.seconds }!
        let rate = Double(count) / best.seconds
        print(String(count).padding(toLength: 10, withPad: " ", startingAt: 0),
              String(format: "%10.0f   %7.0f   %7d   %12.1f   %31.0f   %5.1fx", rate, Double(bytes) / best.seconds / 1e6, best.records,
                     Double(runs.map(\.peakKiB).max()!) / 1024, reference, rate / reference))
        print("  runs (s): " + runs.map { String(format: "%.3f", $0.seconds) }.joined(separator: " "))
    }
}

try main()
