import Foundation
import Testing
import TickbusMarket
import TickbusTestSupport

/// The deployment files, validated offline (no Docker engine here): compose against the Compose
/// Specification's JSON Schema, the image's shape, the Grafana provisioning and dashboards.
@Suite("deployment files")
struct ComposeTests {
    let compose = repositoryRoot + "/compose/compose.yaml"
    let validator = repositoryRoot + "/tools/pyvenv/bin/check-jsonschema"

    func text(_ path: String) throws -> String { try String(contentsOfFile: repositoryRoot + "/" + path, encoding: .utf8) }

    @Test func composeFileFollowsTheComposeSpecification() throws {
        let valid = try runExecutable(validator, ["--builtin-schema", "vendor.compose-spec", compose])
        #expect(valid.status == 0, "\(valid.output)")
        // The validator does reject a broken file (a list where a string belongs).
        let broken = NSTemporaryDirectory() + "compose-\(UUID().uuidString).yaml"
        try (try text("compose/compose.yaml")).replacingOccurrences(of: "restart: unless-stopped", with: "restart: [1]")
            .write(toFile: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let rejected = try runExecutable(validator, ["--builtin-schema", "vendor.compose-spec", broken])
        #expect(rejected.status == 1)
    }

    @Test func composeRunsEverySourceLiveAndInTheDemoWithSecretsFromTheEnvironment() throws {
        let file = try text("compose/compose.yaml")
        let scrape = try text("compose/prometheus.yml")
        for source in SourceID.allCases {
            #expect(file.contains("  \(source.producerService):\n"), "live producer of \(source)")
            #expect(file.contains("  demo-\(source.producerService):\n"), "demo producer of \(source)")
            #expect(file.contains(#"["producer", "run", "--source", "\#(source.rawValue)"]"#), "live producer of \(source)")
            #expect(file.contains(#"["producer", "run", "--source", "\#(source.rawValue)", "--endpoint", "#), "demo producer of \(source)")
            #expect(scrape.contains("- \(source.producerService):9464\n") && scrape.contains("- demo-\(source.producerService):9464\n"), "\(source) scraped")
        }
        #expect(file.contains(#"["producer", "run", "--source", "binance_rtds", "--endpoint", "ws://venue-sim:19500/binance_rtds"]"#))
        #expect(file.contains(#"["producer", "run", "--source", "kucoin", "--endpoint", "http://venue-sim:19500/kucoin"]"#))
        // The Polymarket-relayed oracles: venue-sim's PolyBolt in the demo, the CLOB credentials from compose/.env live.
        for source in [SourceID.chainlinkTWAP, .chainlink, .pyth] {
            #expect(file.contains(#"["producer", "run", "--source", "\#(source.rawValue)", "--endpoint", "ws://venue-sim:19500/polybolt"]"#), "\(source)")
        }
        for variable in ["TICKBUS_POLYMARKET_API_KEY", "TICKBUS_POLYMARKET_SECRET", "TICKBUS_POLYMARKET_PASSPHRASE"] {
            #expect(file.contains("\(variable): ${\(variable):-}"), "\(variable) from compose/.env")
            #expect(try text("compose/.env.example").contains("# \(variable)="))
        }
        #expect(file.contains("  producer-pyth:\n    <<: *producer\n    profiles: [polybolt]\n"), "pyth only with the credentials' profile")
        #expect(file.contains(#"["venue-sim", "--host", "0.0.0.0", "--port", "19500"]"#))
        for service in ["kafka:", "topic-init:", "postgres:", "sink:", "aggregator:", "health:", "grafana:", "prometheus:", "venue-sim:"] {
            #expect(file.contains("\n  \(service)\n"), "service \(service)")
        }
        // Passwords only from compose/.env, which git ignores; the example has placeholders.
        #expect(file.contains("TICKBUS_PG_PASSWORD: ${POSTGRES_PASSWORD:?"))
        #expect(file.contains("GF_SECURITY_ADMIN_PASSWORD: ${GRAFANA_ADMIN_PASSWORD:?"))
        #expect(try text(".gitignore").contains("compose/.env"))
        #expect(try text("compose/.env.example").contains("POSTGRES_PASSWORD=change-me"))
        // Every topic is created before anything runs, with auto-creation off.
        #expect(file.contains(#"KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false""#))
        for topic in ["events.status", "dlq.producer", "dlq.sink", "snapshots.1s", "windows.15m", "spreads.1s"] {
            #expect(file.contains("create \(topic) "), "topic \(topic)")
        }
        #expect(scrape.contains("health:9467") && scrape.contains("producer-htx:9464") && scrape.contains("demo-producer-kucoin:9464"))
    }

    @Test func imageRunsAsNonRootWithoutBuildToolsAndHasEveryExecutable() throws {
        let dockerfile = try text("Dockerfile")
        let stages = Array(dockerfile.components(separatedBy: "\nFROM ").dropFirst())  // less the header comment
        #expect(stages.count == 2, "a builder and a runtime stage")
        let runtime = try #require(stages.last)
        #expect(runtime.contains("USER 10001:10001"))
        #expect(runtime.contains("HEALTHCHECK"))
        #expect(runtime.contains("librdkafka1"))
        for tool in ["build-essential", "swift build", "-dev ", "gcc", "pkg-config"] {
            #expect(!runtime.contains(tool), "runtime stage contains \(tool)")
        }
        for executable in ["producer", "aggregator", "sink", "health", "venue-sim"] {
            #expect(stages[0].contains(".build/release/\(executable)"), "builds \(executable)")
        }
    }

    @Test func grafanaDashboardsUseTheProvisionedDataSources() throws {
        let provisioning = try text("compose/grafana/provisioning/datasources/postgres.yaml")
        #expect(provisioning.contains("uid: tickbus-postgres") && provisioning.contains("uid: tickbus-prometheus"))
        #expect(provisioning.contains("password: $POSTGRES_PASSWORD"))
        let healthMetrics = try text("docs/health.md")
        let directory = repositoryRoot + "/deploy/grafana/dashboards"
        var titles: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
            let dashboard = try #require(object as? [String: Any])
            titles.append(dashboard["title"] as? String ?? "")
            for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
                let uid = (panel["datasource"] as? [String: Any])?["uid"] as? String
                #expect(uid == "tickbus-postgres" || uid == "tickbus-prometheus", "\(file): \(panel["title"] ?? "")")
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    if let expression = target["expr"] as? String {
                        #expect(healthMetrics.contains("`\(expression)`"), "\(file): \(expression) is not a documented health metric")
                    } else {
                        #expect((target["rawSql"] as? String)?.isEmpty == false)
                    }
                }
            }
        }
        #expect(titles == ["Chainlink 15-minute window", "Tickbus health", "1-second prices of every source", "Spread between two sources"])
    }
}
