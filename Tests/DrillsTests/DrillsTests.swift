import Foundation
import Logging
import Testing
import TickbusDrills
import TickbusMarket
import TickbusTestSupport
import VenueSim

/// The proxy the broker-link drill cuts, and the subset of `make drills` CI runs: broker link cut (longer than
/// the consumers' session), aggregator kill -9, sink kill -9 and the malformed flood at a lower rate, each
/// with every invariant checked.
@Suite("fault drills", .serialized)
struct DrillsTests {
    @Test func theProxyRelaysRefusesWhileCutAndRelaysAgain() async throws {
        let proxy = TCPProxy(port: freePort(), targetPort: Int(brokers.split(separator: ":").last ?? "") ?? 19092)
        defer { Task { await proxy.shutdown() } }
        let metadata = { try runExecutable("/usr/bin/env", ["kcat", "-b", "127.0.0.1:\(proxy.port)", "-L", "-m", "3"], deadline: 10) }
        try await proxy.restore()
        #expect(try metadata().status == 0)
        await proxy.cut()
        #expect(!proxy.isListening)
        #expect(proxy.connections == 0)
        let refused = try metadata()
        #expect(refused.status != 0, "\(refused.output)")
        try await proxy.restore()
        let again = try metadata()
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("broker"))
    }

    @Test func aLinkCutKillsAndAMalformedFloodLoseAndDuplicateNothing() async throws {
        let directory = NSTemporaryDirectory() + "tickbus-drills-" + UUID().uuidString.prefix(8)
        var configuration = DrillPipeline.Configuration(repositoryRoot: repositoryRoot, binaries: repositoryRoot + "/.build/debug", directory: directory)
        configuration.rate = 40
        (configuration.brokerPort, configuration.proxyPort, configuration.postgresPort, configuration.healthPort, configuration.simulatorPort)
            = (freePort(), freePort(), freePort(), freePort(), freePort())
        let pipeline = DrillPipeline(configuration: configuration)
        var options = DrillRunner.Options()
        options.faultDuration = .seconds(8)
        options.malformedPerKind = 3
        options.oversizedPerSource = 1
        var logger = Logger(label: "drills-test")
        logger.logLevel = .critical
        try await pipeline.start()
        let outcome: (results: [DrillResult], final: DrillResult)
        do {
            outcome = try await DrillRunner(pipeline: pipeline, options: options, logger: logger) { print("drills: \($0)") }
                .run([.brokerCut, .aggregatorKill, .sinkKill, .malformedFlood])
        } catch {
            await pipeline.stop()
            throw error
        }
        await pipeline.stop()
        print(DrillReport.table(outcome.results, final: outcome.final))
        #expect(outcome.results.map(\.name) == ["broker-link-cut", "aggregator-kill-9", "sink-kill-9", "malformed-flood"])
        for result in outcome.results + [outcome.final] {
            #expect(result.passed, "\(result.name): \(result.violations)")
            #expect(result.lost == 0 && result.duplicated == 0)
            #expect(result.published > 0 && result.stored == result.published, "\(result.name): \(result.stored) of \(result.published)")
        }
        for result in outcome.results {
            let recovery = try #require(result.recoverySeconds, "\(result.name) never recovered")
            #expect(recovery < 90)
            #expect(result.peakMemory > 0 && result.peakMemory < options.memoryBound)
        }
        // Exactly the bad frames queued: three of each kind for every simulated source (pyth, PolyBolt only, is
        // not among the drills'), one 10 MiB frame each.
        #expect(pipeline.configuration.sources == SimulatedProtocol.supported && !pipeline.configuration.sources.contains(.pyth))
        let expected = pipeline.configuration.sources.reduce(0) { total, source in
            total + MalformedKind.applicable(to: source).reduce(0) { $0 + ($1 == .oversized ? 1 : 3) }
        }
        #expect(outcome.results[3].deadLettersInjected == expected)
        #expect(outcome.results[3].deadLettersStored == expected)
        #expect(outcome.results.prefix(3).allSatisfy { $0.deadLettersInjected == 0 && $0.deadLettersStored == 0 })
        try? FileManager.default.removeItem(atPath: directory)
    }
}
