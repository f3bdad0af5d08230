import Foundation
import Testing
import TickbusMarket
import TickbusTestSupport

/// The Kubernetes base, validated offline against the Kubernetes API schemas (kubernetes-validate, strict:
/// unknown fields are errors) and for the properties the services rely on.
@Suite("kubernetes manifests")
struct KubernetesTests {
    let base = repositoryRoot + "/k8s/base"
    let validator = repositoryRoot + "/tools/pyvenv/bin/kubernetes-validate"

    func manifests() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: base).filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted()
    }

    @Test func everyManifestValidatesStrictlyAndABrokenOneDoesNot() throws {
        let files = try manifests()
        #expect(files.count == 9)
        let result = try runExecutable(validator, ["--strict", "--quiet"] + files.map { base + "/" + $0 })
        #expect(result.status == 0, "\(result.output)")
        let broken = NSTemporaryDirectory() + "k8s-\(UUID().uuidString).yaml"
        try String(contentsOfFile: base + "/sink.yaml", encoding: .utf8).replacingOccurrences(of: "replicas: 1", with: "replicas: one")
            .write(toFile: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: broken) }
        #expect(try runExecutable(validator, ["--strict", "--quiet", broken]).status == 1)
    }

    @Test func kustomizationListsEverythingButTheSecretExample() throws {
        let kustomization = try String(contentsOfFile: base + "/kustomization.yaml", encoding: .utf8)
        for file in try manifests() {
            #expect(kustomization.contains("- \(file)") == (file != "secret.example.yaml"), "\(file)")
        }
        #expect(kustomization.contains("namespace: tickbus"))
    }

    @Test func servicesRunLockedDownWithProbesAndDrainTime() throws {
        let producers = try String(contentsOfFile: base + "/producers.yaml", encoding: .utf8)
        for source in SourceID.allCases {
            #expect(producers.contains("name: producer-\(source.rawValue)\n"), "producer of \(source)")
            #expect(producers.contains("- --source\n") && producers.contains("- \(source.rawValue)\n"))
        }
        #expect(producers.components(separatedBy: "type: Recreate").count - 1 == SourceID.allCases.count)
        for file in ["producers.yaml", "aggregator.yaml", "sink.yaml", "health.yaml"] {
            let text = try String(contentsOfFile: base + "/" + file, encoding: .utf8)
            let containers = text.components(separatedBy: "containers:").count - 1
            for property in ["runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false",
                             "path: /livez", "path: /readyz", "limits:", "requests:"] {
                #expect(text.components(separatedBy: property).count - 1 == containers, "\(file): \(property)")
            }
        }
        // Longer than a flush: the sink's batch in flight, the aggregator's last second and commit.
        for file in ["aggregator.yaml", "sink.yaml"] {
            #expect(try String(contentsOfFile: base + "/" + file, encoding: .utf8).contains("terminationGracePeriodSeconds: 60"))
        }
        let config = try String(contentsOfFile: base + "/configmap.yaml", encoding: .utf8)
        #expect(config.contains("TICKBUS_METRICS_HOST: 0.0.0.0"))
        #expect(!config.contains("PASSWORD"), "passwords only in the Secret")
        let sink = try String(contentsOfFile: base + "/sink.yaml", encoding: .utf8)
        #expect(sink.contains("secretKeyRef:\n              name: tickbus-postgres\n              key: password"))
    }
}
