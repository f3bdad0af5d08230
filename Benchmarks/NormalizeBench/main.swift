import Foundation
import Producers
import VenueSim
import TickbusMarket

/// `make bench-normalize`: frames/s of `producer normalize`'s decode + encode path on one core, per source,
/// on frames in each venue's exact wire format (venue-sim's generator); Foundation's JSONSerialization parsing the same
/// frames (parse only) is the reference printed beside it.
let frameCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 400_000

/// Frames in the venue's exact wire format, as venue-sim sends them (a random walk around 65 000).
func generate(_ source: SourceID, count: Int) -> [String] {
    guard let simulated = SimulatedProtocol(source: source) else { fatalError("\(source) is not simulated") }
    var cents: Int64 = 6_500_000
    return (0..<count).map { index in
        cents += Int64.random(in: -100...100)
        return simulated.dataFrame(mid: cents, index: index).frame
    }
}

func seconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Top-level variables are globals with dynamic exclusivity checks; keep the measured loop in a function.
func main() {
    print("normalize-bench: \(frameCount) generated frames per source, one thread")
    print("source      frames/s (decode+encode)   ticks   JSONSerialization parse frames/s   ratio")
    let only = ProcessInfo.processInfo.environment["NORMALIZE_ONLY"].flatMap(SourceID.init(rawValue:))
    let skipReference = ProcessInfo.processInfo.environment["NORMALIZE_SKIP_REFERENCE"] != nil
    let repetitions = Int(ProcessInfo.processInfo.environment["NORMALIZE_REPETITIONS"] ?? "") ?? (skipReference ? 5 : 1)
    for source in Adapters.implemented where (only == nil || only == source) && SimulatedProtocol.supported.contains(source) {
        let adapter = try! Adapters.makeForRecordedFrames(source, instruments: Adapters.defaultInstruments(for: source))
        let plain = generate(source, count: frameCount)
        // HTX's frames are gzip: normalize reads them as `b64:` lines, so the decompression is measured too.
        // MEXC's data frames are protobuf: the generator already gives them as base64.
        let lines = source == .htx
            ? plain.map { Array(("b64:" + Data(HTXAdapter.gzip($0)).base64EncodedString()).utf8) }
            : source == .mexc ? plain.map { Array(("b64:" + $0).utf8) } : plain.map { Array($0.utf8) }
        var normalizer = FrameNormalizer(adapter: adapter)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 22)
        var bytesOut = 0
        let ours = seconds {
            for _ in 0..<repetitions {
            for line in lines {
                if normalizer.normalize(line: line[...], receiveTime: 1_785_150_000_000_000, output: &output) != nil { fatalError("bad generated frame for \(source)") }
                if output.count > (1 << 22) - 4096 { bytesOut += output.count; output.removeAll(keepingCapacity: true) }
            }
            }
        } / Double(repetitions)
        let datas = plain.map { Data($0.utf8) }  // the reference parses the JSON (for HTX: already decompressed)
        var parsed = 0
        // No JSON to parse in MEXC's protobuf frames: no reference.
        let reference = skipReference || source == .mexc ? .nan : seconds {
            for data in datas where (try? JSONSerialization.jsonObject(with: data)) != nil { parsed += 1 }
        }
        precondition(skipReference || source == .mexc || parsed == lines.count)
        let rate = Double(lines.count) / ours, referenceRate = Double(lines.count) / reference
        print(source.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
              String(format: "%24.0f   %7d   %32.0f   %5.1fx", rate, Int(normalizer.sequence), referenceRate, rate / referenceRate))
    }
}

main()
