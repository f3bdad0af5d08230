import Foundation
import Producers
import TickbusMarket

/// `make bench-normalize`: frames/s of `producer normalize`'s decode + encode path on one core, per source,
/// on generated frames in each venue's exact wire format; Foundation's JSONSerialization parsing the same
/// frames (parse only) is the reference printed beside it.
let frameCount = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 400_000

func generate(_ source: SourceID, count: Int) -> [String] {
    var price = 65_000.0
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { index in
        price += Double.random(in: -2...2, using: &generator)
        let bid = String(format: "%.2f", price), ask = String(format: "%.2f", price + 0.01)
        let millis = 1_785_150_000_000 + Int64(index)
        switch source {
        case .binance:
            return index % 4 == 3
                ? #"{"e":"trade","E":\#(millis),"s":"BTCUSDT","t":\#(index),"p":"\#(bid)000000","q":"0.00100000","T":\#(millis),"m":true,"M":true}"#
                : #"{"u":\#(400_900_217 + index),"s":"BTCUSDT","b":"\#(bid)000000","B":"3.21000000","a":"\#(ask)000000","A":"0.66000000"}"#
        case .coinbase:
            return #"{"type":"ticker","sequence":\#(37_475_248_783 + index),"product_id":"BTC-USD","price":"\#(bid)","open_24h":"64000.79","volume_24h":"2455.79269678","low_24h":"63280.52","high_24h":"65313.8","volume_30d":"97883.60117027","best_bid":"\#(bid)","best_bid_size":"0.46688654","best_ask":"\#(ask)","best_ask_size":"1.56637040","side":"buy","time":"2026-07-27T10:11:22.\#(String(format: "%06d", index % 1_000_000))Z","trade_id":\#(370_843_401 + index),"last_size":"0.0143969"}"#
        case .okx:
            return index % 4 == 3
                ? #"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"\#(130_639_474 + index)","px":"\#(bid)","sz":"0.12060306","side":"buy","ts":"\#(millis)","count":"1","seqId":\#(index)}]}"#
                : #"{"arg":{"channel":"bbo-tbt","instId":"BTC-USDT"},"data":[{"asks":[["\#(ask)","0.55154","0","2"]],"bids":[["\#(bid)","0.57745","0","2"]],"ts":"\#(millis)","seqId":\#(363_996_337 + index)}]}"#
        case .chainlink:
            return #"{"topic":"crypto_prices_chainlink","type":"update","timestamp":\#(millis + 1400),"connection_id":"gVXk0y-M8WeIKEhvdA==","payload":{"symbol":"btc/usd","timestamp":\#(millis / 1000 * 1000),"value":\#(bid)165178642,"full_accuracy_value":"\#(bid.replacingOccurrences(of: ".", with: ""))165178642000000"}}"#
        default:
            return ""
        }
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
    for source in Adapters.implemented where only == nil || only == source {
        let adapter = Adapters.make(source, instruments: Adapters.defaultInstruments(for: source))!
        let lines = generate(source, count: frameCount).map { Array($0.utf8) }
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
        let datas = lines.map { Data($0) }
        var parsed = 0
        let reference = skipReference ? .nan : seconds {
            for data in datas where (try? JSONSerialization.jsonObject(with: data)) != nil { parsed += 1 }
        }
        precondition(skipReference || parsed == lines.count)
        let rate = Double(lines.count) / ours, referenceRate = Double(lines.count) / reference
        print(source.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
              String(format: "%24.0f   %7d   %32.0f   %5.1fx", rate, Int(normalizer.sequence), referenceRate, rate / referenceRate))
    }
}

main()
