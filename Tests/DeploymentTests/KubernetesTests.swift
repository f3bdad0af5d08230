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
            #expect(producers.contains("name: \(source.producerService)\n"), "producer of \(source)")
            #expect(source.producerService.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }, "a DNS label")
            #expect(producers.contains("tickbus.io/source: \(source.rawValue)\n"), "label of \(source)")
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
        // The Polymarket credentials, files of the Secret tickbus-polymarket, readable by the pods' group.
        for deployment in producers.components(separatedBy: "\n---\n") where deployment.contains("kind: Deployment") {
            let relayed = ["chainlink", "chainlink_twap", "pyth"].contains { deployment.contains("tickbus.io/source: \($0)\n") }
            #expect(deployment.contains("secretName: tickbus-polymarket") == relayed)
            #expect(deployment.contains("fsGroup: 10001") == relayed, "Secret files are root's: fsGroup lets uid 10001 read them")
            #expect(deployment.contains("value: /var/run/secrets/tickbus-polymarket/secret") == relayed)
        }
        let sink = try String(contentsOfFile: base + "/sink.yaml", encoding: .utf8)
        #expect(sink.contains("secretKeyRef:\n              name: tickbus-postgres\n              key: password"))
    }
}

/// The overlays of k8s/overlays, rendered offline by scripts/render-kustomize as `kustomize build` would
/// (no kustomize binary here): core kinds validated strictly against the Kubernetes API schemas, the
/// Strimzi and CloudNativePG kinds against the operators' CRD schemas kept in k8s/schemas, and the
/// wiring checked: topics as compose creates them, the operators' Services and Secrets, egress.
@Suite("kubernetes overlays")
struct KubernetesOverlayTests {
    let overlays = ["strimzi", "cloudnative-pg", "external"]
    let renderer = repositoryRoot + "/scripts/render-kustomize"
    let kubernetesValidator = repositoryRoot + "/tools/pyvenv/bin/kubernetes-validate"
    let schemaValidator = repositoryRoot + "/tools/pyvenv/bin/check-jsonschema"
    let schemas = repositoryRoot + "/k8s/schemas"
    let operatorGroups: Set<String> = ["kafka.strimzi.io", "postgresql.cnpg.io"]

    /// `render-kustomize --json` of one overlay: its documents, in order.
    func render(_ overlay: String) throws -> [Manifest] {
        let result = try runExecutable(renderer, ["--json", repositoryRoot + "/k8s/overlays/" + overlay])
        guard result.status == 0 else { throw OverlayError(description: "render \(overlay): \(result.output)") }
        guard let documents = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [Manifest] else {
            throw OverlayError(description: "render \(overlay): not a JSON array of objects")
        }
        return documents
    }

    /// Each document in its own JSON file under `directory`: the core kinds' files, and the operator kinds'
    /// files by the schema that validates them (k8s/schemas/<group>/<kind>_<version>.json).
    func write(_ documents: [Manifest], to directory: String) throws -> (core: [String], operators: [String: [String]]) {
        var core: [String] = []
        var operators: [String: [String]] = [:]
        for (index, document) in documents.enumerated() {
            let kind = document["kind"] as? String ?? ""
            let file = directory + "/\(index)-\(kind).json"
            try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
            let apiVersion = (document["apiVersion"] as? String ?? "").split(separator: "/").map(String.init)
            if apiVersion.count == 2, operatorGroups.contains(apiVersion[0]) {
                operators[schemas + "/\(apiVersion[0])/\(kind.lowercased())_\(apiVersion[1]).json", default: []].append(file)
            } else {
                core.append(file)
            }
        }
        return (core, operators)
    }

    /// check-jsonschema's exit status for one document against one schema (0 valid, 1 invalid).
    func validate(_ document: Manifest, against schema: String) throws -> Int32 {
        let file = NSTemporaryDirectory() + "k8s-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try runExecutable(schemaValidator, ["--schemafile", schema, file]).status
    }

    /// The first document of a kind (and name, if given).
    func first(_ kind: String, in documents: [Manifest], named name: String? = nil) throws -> Manifest {
        for document in documents where document["kind"] as? String == kind {
            if name == nil || object(document["metadata"])["name"] as? String == name { return document }
        }
        throw OverlayError(description: "no \(kind) \(name ?? "")")
    }

    @Test func everyOverlayRendersAndEveryResourceValidates() throws {
        let operatorSchemas: [String: Set<String>] = [
            "strimzi": ["kafka_v1beta2.json", "kafkanodepool_v1beta2.json", "kafkatopic_v1beta2.json"],
            "cloudnative-pg": ["cluster_v1.json"],
            "external": [],
        ]
        for overlay in overlays {
            let documents = try render(overlay)
            #expect(documents.count >= 26, "\(overlay): the base's 26 resources and the overlay's")
            for document in documents where document["kind"] as? String != "Namespace" {
                #expect(object(document["metadata"])["namespace"] as? String == "tickbus", "\(overlay): \(document["kind"] as? String ?? "")")
            }
            let directory = NSTemporaryDirectory() + "k8s-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let files = try write(documents, to: directory)
            let core = try runExecutable(kubernetesValidator, ["--strict", "--quiet"] + files.core)
            #expect(core.status == 0, "\(overlay): \(core.output)")
            #expect(!core.output.contains("Couldn't find schema"), "\(overlay): a core kind went unchecked: \(core.output)")
            #expect(Set(files.operators.keys.map { URL(fileURLWithPath: $0).lastPathComponent }) == operatorSchemas[overlay], "\(overlay)")
            for (schema, instances) in files.operators {
                #expect(FileManager.default.fileExists(atPath: schema), "\(schema)")
                let checked = try runExecutable(schemaValidator, ["--schemafile", schema] + instances)
                #expect(checked.status == 0, "\(overlay): \(checked.output)")
            }
            // Every file of the overlay is used by its kustomization, but the *.example.yaml ones (a Secret to
            // create yourself, like the base's secret.example.yaml), which must stay out of it.
            let root = repositoryRoot + "/k8s/overlays/" + overlay
            let kustomization = try String(contentsOfFile: root + "/kustomization.yaml", encoding: .utf8)
            for file in try FileManager.default.contentsOfDirectory(atPath: root) where file.hasSuffix(".yaml") && file != "kustomization.yaml" {
                let used = kustomization.contains("- \(file)\n") || kustomization.contains("path: \(file)\n")
                #expect(used == !file.hasSuffix(".example.yaml"), "\(overlay): \(file) \(used ? "used" : "unused")")
            }
        }
    }

    @Test func brokenResourcesAreRejected() throws {
        let strimzi = try render("strimzi")
        let topicSchema = schemas + "/kafka.strimzi.io/kafkatopic_v1beta2.json"
        var topic = try first("KafkaTopic", in: strimzi)
        #expect(try validate(topic, against: topicSchema) == 0)
        var topicSpec = object(topic["spec"])
        topicSpec["partitions"] = "many"
        topic["spec"] = topicSpec
        #expect(try validate(topic, against: topicSchema) == 1)

        let kafkaSchema = schemas + "/kafka.strimzi.io/kafka_v1beta2.json"
        var kafka = try first("Kafka", in: strimzi)
        #expect(try validate(kafka, against: kafkaSchema) == 0)
        var kafkaSpec = object(kafka["spec"])
        var broker = object(kafkaSpec["kafka"])
        var listeners = objects(broker["listeners"])
        listeners[0]["port"] = 80
        broker["listeners"] = listeners
        kafkaSpec["kafka"] = broker
        kafka["spec"] = kafkaSpec
        #expect(try validate(kafka, against: kafkaSchema) == 1)

        let poolSchema = schemas + "/kafka.strimzi.io/kafkanodepool_v1beta2.json"
        var pool = try first("KafkaNodePool", in: strimzi)
        #expect(try validate(pool, against: poolSchema) == 0)
        var poolSpec = object(pool["spec"])
        poolSpec["roles"] = ["controller", "worker"]
        pool["spec"] = poolSpec
        #expect(try validate(pool, against: poolSchema) == 1)

        let clusterSchema = schemas + "/postgresql.cnpg.io/cluster_v1.json"
        let cluster = try first("Cluster", in: render("cloudnative-pg"))
        #expect(try validate(cluster, against: clusterSchema) == 0)
        for bad in [0 as Any, "two" as Any] {
            var broken = cluster
            var clusterSpec = object(broken["spec"])
            clusterSpec["instances"] = bad
            broken["spec"] = clusterSpec
            #expect(try validate(broken, against: clusterSchema) == 1, "instances \(bad)")
        }

        // A core kind of an overlay: the validator refuses a NetworkPolicy peer that is not an object.
        var policy = try first("NetworkPolicy", in: strimzi, named: "producer")
        var policySpec = object(policy["spec"])
        var egress = objects(policySpec["egress"])
        egress[1]["to"] = [["podSelector": "strimzi"]]
        policySpec["egress"] = egress
        policy["spec"] = policySpec
        let file = NSTemporaryDirectory() + "k8s-\(UUID().uuidString).json"
        try JSONSerialization.data(withJSONObject: policy).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try runExecutable(kubernetesValidator, ["--strict", "--quiet", file]).status == 1)
    }

    @Test func strimziRunsKRaftWithComposesTopics() throws {
        let documents = try render("strimzi")
        let kafka = try first("Kafka", in: documents)
        let name = try #require(object(kafka["metadata"])["name"] as? String)
        let annotations = object(object(kafka["metadata"])["annotations"])
        #expect(annotations["strimzi.io/kraft"] as? String == "enabled" && annotations["strimzi.io/node-pools"] as? String == "enabled")
        let pool = try first("KafkaNodePool", in: documents)
        #expect(object(object(pool["metadata"])["labels"])["strimzi.io/cluster"] as? String == name)
        let poolSpec = object(pool["spec"])
        #expect(poolSpec["roles"] as? [String] == ["controller", "broker"])
        #expect(integer(poolSpec["replicas"]) == 3)
        #expect(object(poolSpec["storage"])["type"] as? String == "persistent-claim")
        let config = try object(first("ConfigMap", in: documents)["data"])
        #expect(config["TICKBUS_KAFKA_BROKERS"] as? String == "\(name)-kafka-bootstrap:9092")
        #expect(try String(contentsOfFile: repositoryRoot + "/k8s/overlays/strimzi/kafka.yaml", encoding: .utf8).contains("auto.create.topics.enable: false"))

        var topics: [String: CreatedTopic] = [:]
        for document in documents where document["kind"] as? String == "KafkaTopic" {
            let metadata = object(document["metadata"]), spec = object(document["spec"])
            // A resource name is a DNS subdomain ('_' not allowed): ticks.binance_rtds needs spec.topicName.
            let resource = metadata["name"] as? String ?? ""
            #expect(!resource.isEmpty && resource.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }, "\(resource)")
            #expect(object(metadata["labels"])["strimzi.io/cluster"] as? String == name)
            #expect(integer(spec["replicas"]) == 3)
            var settings: [String: String] = [:]
            for (key, value) in object(spec["config"]) { settings[key] = scalar(value) }
            let topicName = spec["topicName"] as? String ?? metadata["name"] as? String ?? ""
            topics[topicName] = CreatedTopic(partitions: integer(spec["partitions"]) ?? -1, config: settings)
        }
        let compose = try composeTopics()
        #expect(compose.count == SourceID.allCases.count + 6)
        for source in SourceID.allCases {
            #expect(compose["ticks.\(source.rawValue)"] != nil, "compose creates ticks.\(source.rawValue)")
        }
        #expect(topics == compose)
        for (topic, expected) in compose where topics[topic] != expected {
            Issue.record("\(topic): KafkaTopic \(String(describing: topics[topic])), compose \(expected)")
        }
    }

    @Test func cloudNativePGOverlayUsesTheOperatorsServiceSecretAndCA() throws {
        let documents = try render("cloudnative-pg")
        let cluster = try first("Cluster", in: documents)
        let name = try #require(object(cluster["metadata"])["name"] as? String)
        let spec = object(cluster["spec"])
        #expect(integer(spec["instances"]) == 2)
        #expect(object(spec["storage"])["size"] as? String != nil)
        #expect(!object(spec["resources"]).isEmpty && !object(spec["monitoring"]).isEmpty)
        let initdb = object(object(spec["bootstrap"])["initdb"])
        let config = try object(first("ConfigMap", in: documents)["data"])
        #expect(config["TICKBUS_PG_HOST"] as? String == name + "-rw")
        #expect(initdb["database"] as? String == "tickbus" && initdb["owner"] as? String == "tickbus")
        #expect(config["TICKBUS_PG_DATABASE"] as? String == initdb["database"] as? String)
        #expect(config["TICKBUS_PG_USER"] as? String == initdb["owner"] as? String, "the -app Secret is the owner's")
        #expect(config["TICKBUS_PG_SSLMODE"] as? String == "verify-full")
        let rootCertificate = try #require(config["TICKBUS_PG_SSLROOTCERT"] as? String)

        var withPassword: Set<String> = []
        for deployment in documents where deployment["kind"] as? String == "Deployment" {
            let deploymentName = object(deployment["metadata"])["name"] as? String ?? ""
            let pod = object(object(object(deployment["spec"])["template"])["spec"])
            for container in objects(pod["containers"]) {
                for variable in objects(container["env"]) {
                    let reference = object(object(variable["valueFrom"])["secretKeyRef"])
                    if reference.isEmpty { continue }
                    withPassword.insert(deploymentName)
                    #expect(variable["name"] as? String == "TICKBUS_PG_PASSWORD")
                    #expect(reference["name"] as? String == name + "-app" && reference["key"] as? String == "password", "\(deploymentName)")
                }
                if withPassword.contains(deploymentName) {
                    let mounts = objects(container["volumeMounts"]).filter { rootCertificate.hasPrefix((($0["mountPath"] as? String) ?? "-") + "/") }
                    #expect(mounts.count == 1, "\(deploymentName) mounts the CA at \(rootCertificate)")
                    let volume = objects(pod["volumes"]).first { $0["name"] as? String == mounts.first?["name"] as? String }
                    let secret = object(volume?["secret"])
                    #expect(secret["secretName"] as? String == name + "-ca", "\(deploymentName)")
                    #expect(objects(secret["items"]).map { $0["key"] as? String ?? "" } == ["ca.crt"], "only the certificate, never ca.key")
                }
            }
        }
        #expect(withPassword == ["sink", "health"])

        // The instances' own policy admits the sink and health on 5432 (base default-deny selects them too).
        let instances = try first("NetworkPolicy", in: documents, named: "cloudnative-pg")
        let instancesSpec = object(instances["spec"])
        #expect(object(object(instancesSpec["podSelector"])["matchLabels"])["cnpg.io/cluster"] as? String == name)
        let clients = objects(instancesSpec["ingress"]).filter { ports($0) == [5432] }
            .flatMap { objects($0["from"]) }
            .compactMap { object(object($0["podSelector"])["matchLabels"])["app.kubernetes.io/component"] as? String }
        #expect(Set(clients) == ["sink", "health"])
    }

    @Test func egressAllowsExactlyTheBrokerAndDatabasePortsToTheirPeers() throws {
        let venueAndDNS: Set<Int> = [53, 443, 9443]
        // overlay -> (Kafka ports, whether Kafka is reached through a selector/CIDR, whether Postgres is)
        let expected: [String: (kafka: Set<Int>, kafkaPeer: Bool, databasePeer: Bool)] = [
            "strimzi": ([9092], true, false),
            "cloudnative-pg": ([9092, 9093], false, true),
            "external": ([9092], true, true),
        ]
        for overlay in overlays {
            let documents = try render(overlay)
            guard let want = expected[overlay] else { throw OverlayError(description: "no expectation for \(overlay)") }
            var kafkaName: String?
            var clusterName: String?
            if overlay == "strimzi" { kafkaName = try object(first("Kafka", in: documents)["metadata"])["name"] as? String }
            if overlay == "cloudnative-pg" { clusterName = try object(first("Cluster", in: documents)["metadata"])["name"] as? String }
            for component in ["producer", "aggregator", "sink", "health"] {
                let rules = try objects(object(first("NetworkPolicy", in: documents, named: component)["spec"])["egress"])
                let database: Set<Int> = component == "sink" || component == "health" ? [5432] : []
                let allowed = rules.reduce(into: Set<Int>()) { $0.formUnion(ports($1)) }.subtracting(venueAndDNS)
                #expect(allowed == want.kafka.union(database), "\(overlay) \(component): \(allowed.sorted())")
                let kafkaRules = rules.filter { !ports($0).isDisjoint(with: Set([9092, 9093])) }
                #expect(kafkaRules.count == 1, "\(overlay) \(component)")
                for rule in kafkaRules {
                    let peers = objects(rule["to"])
                    #expect(peers.isEmpty != want.kafkaPeer, "\(overlay) \(component): Kafka peers \(peers)")
                    if let kafkaName {
                        #expect(peers.count == 1 && object(object(peers.first?["podSelector"])["matchLabels"])["strimzi.io/cluster"] as? String == kafkaName)
                    }
                    if overlay == "external" {
                        #expect(peers.allSatisfy { (object($0["ipBlock"])["cidr"] as? String)?.contains("/") == true })
                    }
                }
                for rule in rules where ports(rule).contains(5432) {
                    let peers = objects(rule["to"])
                    #expect(peers.isEmpty != want.databasePeer, "\(overlay) \(component): Postgres peers \(peers)")
                    if let clusterName {
                        #expect(peers.count == 1 && object(object(peers.first?["podSelector"])["matchLabels"])["cnpg.io/cluster"] as? String == clusterName)
                    }
                    if overlay == "external" {
                        #expect(peers.allSatisfy { (object($0["ipBlock"])["cidr"] as? String)?.contains("/") == true })
                    }
                }
            }
        }
        // The operators' pods get egress in their overlays (the base's default-deny selects them too).
        let strimzi = try render("strimzi")
        let strimziPods = try object(object(first("NetworkPolicy", in: strimzi, named: "strimzi-egress")["spec"])["podSelector"])
        let strimziCluster = try object(first("Kafka", in: strimzi)["metadata"])["name"] as? String
        #expect(strimziCluster != nil && object(strimziPods["matchLabels"])["strimzi.io/cluster"] as? String == strimziCluster)
    }

    @Test func externalOverlayReachesKafkaOverSASLSSLWithAMountedPasswordFile() throws {
        let documents = try render("external")
        let config = try object(first("ConfigMap", in: documents, named: "tickbus-config")["data"])
        #expect(config["TICKBUS_KAFKA_SECURITY_PROTOCOL"] as? String == "sasl_ssl")
        #expect(config["TICKBUS_KAFKA_SASL_MECHANISM"] as? String == "SCRAM-SHA-512")
        #expect((config["TICKBUS_KAFKA_SASL_USERNAME"] as? String)?.isEmpty == false)
        let passwordFile = try #require(config["TICKBUS_KAFKA_SASL_PASSWORD_FILE"] as? String)
        let fileName = passwordFile.split(separator: "/").last.map(String.init) ?? ""
        let passwordDirectory = String(passwordFile.dropLast(fileName.count + 1))
        #expect(passwordFile.hasPrefix("/") && !fileName.isEmpty && passwordDirectory.count > 1, "\(passwordFile)")

        // Every Deployment whose container takes tickbus-config (all of them: each service talks to Kafka)
        // mounts the Secret tickbus-kafka, its key password only, read-only where the variable points.
        var mounted: Set<String> = []
        for deployment in documents where deployment["kind"] as? String == "Deployment" {
            let name = object(deployment["metadata"])["name"] as? String ?? ""
            let pod = object(object(object(deployment["spec"])["template"])["spec"])
            let volumes = objects(pod["volumes"])
            for container in objects(pod["containers"]) {
                let configured = objects(container["envFrom"]).contains { object($0["configMapRef"])["name"] as? String == "tickbus-config" }
                    || objects(container["env"]).contains { object(object($0["valueFrom"])["configMapKeyRef"])["name"] as? String == "tickbus-config" }
                if !configured { continue }
                mounted.insert(name)
                let mounts = objects(container["volumeMounts"]).filter { $0["mountPath"] as? String == passwordDirectory }
                #expect(mounts.count == 1, "\(name) mounts the password at \(passwordDirectory)")
                #expect(mounts.allSatisfy { flag($0["readOnly"]) == true }, "\(name): read-only")
                let volume = volumes.first { $0["name"] as? String == mounts.first?["name"] as? String }
                let secret = object(volume?["secret"])
                #expect(secret["secretName"] as? String == "tickbus-kafka", "\(name)")
                #expect(objects(secret["items"]).map { "\($0["key"] as? String ?? "")=\($0["path"] as? String ?? "")" } == ["password=\(fileName)"], "\(name)")
                #expect(integer(secret["defaultMode"]) == 0o400, "\(name)")
                // Secret files are root's: fsGroup hands them to the group the services run as (0400 becomes 0440).
                let podSecurity = object(pod["securityContext"])
                #expect(integer(podSecurity["fsGroup"]) != nil && integer(podSecurity["fsGroup"]) == integer(podSecurity["runAsGroup"]), "\(name)")
                #expect(flag(object(container["securityContext"])["readOnlyRootFilesystem"]) == true, "\(name)")
                // A private CA is optional: the Secret tickbus-kafka-ca (ca.crt only), mounted read-only if it exists.
                let caVolumes = volumes.filter { object($0["secret"])["secretName"] as? String == "tickbus-kafka-ca" }
                #expect(caVolumes.count == 1 && flag(object(caVolumes.first?["secret"])["optional"]) == true, "\(name)")
                #expect(objects(object(caVolumes.first?["secret"])["items"]).map { $0["key"] as? String ?? "" } == ["ca.crt"], "\(name)")
                let caMounts = objects(container["volumeMounts"]).filter { $0["name"] as? String == caVolumes.first?["name"] as? String }
                #expect(caMounts.count == 1 && caMounts.allSatisfy { flag($0["readOnly"]) == true }, "\(name)")
                if let caFile = config["TICKBUS_KAFKA_SSL_CA_FILE"] as? String {
                    #expect(caMounts.contains { caFile.hasPrefix((($0["mountPath"] as? String) ?? "-") + "/") }, "\(name): \(caFile)")
                }
            }
        }
        let services = Set(SourceID.allCases.map(\.producerService)).union(["aggregator", "sink", "health"])
        #expect(mounted == services, "\(mounted.sorted())")

        // The password is never a value: no TICKBUS_KAFKA_SASL_PASSWORD key or variable anywhere, no Secret
        // rendered (kafka-secret.example.yaml is not in the kustomization).
        let data = try JSONSerialization.data(withJSONObject: documents)
        let rendered = String(decoding: data, as: UTF8.self)
        #expect(!rendered.contains("\"TICKBUS_KAFKA_SASL_PASSWORD\""), "the password only from the mounted file")
        #expect(!documents.contains { $0["kind"] as? String == "Secret" })
    }

    @Test func rendererRefusesWhatItDoesNotRender() throws {
        let directory = NSTemporaryDirectory() + "kustomize-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let kustomization = directory + "/kustomization.yaml"
        try "resources:\n- \(repositoryRoot)/k8s/base\nconfigMapGenerator:\n- name: extra\n"
            .write(toFile: kustomization, atomically: true, encoding: .utf8)
        let generator = try runExecutable(renderer, [directory])
        #expect(generator.status == 1 && generator.output.contains("unsupported field(s) configMapGenerator"), "\(generator.output)")
        // A JSON 6902 test op that no longer holds fails the build instead of replacing the wrong rule.
        try "resources:\n- \(repositoryRoot)/k8s/base\npatches:\n- path: patch.yaml\n  target:\n    kind: NetworkPolicy\n    name: aggregator\n"
            .write(toFile: kustomization, atomically: true, encoding: .utf8)
        try "- op: test\n  path: /spec/egress/1/ports/0/port\n  value: 5432\n".write(toFile: directory + "/patch.yaml", atomically: true, encoding: .utf8)
        let test = try runExecutable(renderer, [directory])
        #expect(test.status == 1 && test.output.contains("test failed"), "\(test.output)")
    }

    /// compose's topic-init job: every topic it creates with its partitions and `--config` settings.
    func composeTopics() throws -> [String: CreatedTopic] {
        let compose = try String(contentsOfFile: repositoryRoot + "/compose/compose.yaml", encoding: .utf8)
        var topics: [String: CreatedTopic] = [:]
        for rawLine in compose.components(separatedBy: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("for source in "), line.contains("; do create ") {
                let halves = line.components(separatedBy: "; do create ")
                let sources = halves[0].dropFirst("for source in ".count).split(separator: " ").map(String.init)
                let words = halves[1].replacingOccurrences(of: "; done", with: "").split(separator: " ").map(String.init)
                let template = words[0].replacingOccurrences(of: "\"", with: "")
                for source in sources {
                    topics[template.replacingOccurrences(of: "$$source", with: source)] = CreatedTopic(words.dropFirst())
                }
            } else if line.hasPrefix("create ") {
                let words = line.split(separator: " ").map(String.init)
                topics[words[1]] = CreatedTopic(words.dropFirst(2))
            }
        }
        return topics
    }
}

typealias Manifest = [String: Any]

struct OverlayError: Error, CustomStringConvertible {
    let description: String
}

/// A topic as created: partitions and its per-topic configs.
struct CreatedTopic: Equatable, CustomStringConvertible {
    let partitions: Int
    let config: [String: String]

    init(partitions: Int, config: [String: String]) {
        self.partitions = partitions
        self.config = config
    }

    /// From a topic-init `create` call's arguments after the name: partitions, then `key=value` configs.
    init(_ words: ArraySlice<String>) {
        var config: [String: String] = [:]
        for word in words.dropFirst() {
            let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { config[pair[0]] = pair[1] }
        }
        self.init(partitions: Int(words.first ?? "") ?? -1, config: config)
    }

    var description: String { "\(partitions) partitions \(config.sorted { $0.key < $1.key })" }
}

private func object(_ value: Any?) -> Manifest { value as? Manifest ?? [:] }

private func objects(_ value: Any?) -> [Manifest] { value as? [Manifest] ?? [] }

private func integer(_ value: Any?) -> Int? {
    if let number = value as? Int { return number }
    return (value as? NSNumber)?.intValue
}

private func flag(_ value: Any?) -> Bool? {
    if let bool = value as? Bool { return bool }
    return (value as? NSNumber)?.boolValue
}

/// A YAML scalar as the text a Kafka config takes (numbers as their digits).
private func scalar(_ value: Any) -> String? {
    if let text = value as? String { return text }
    if let number = value as? Int { return String(number) }
    return (value as? NSNumber)?.stringValue
}

/// The numeric ports a NetworkPolicy rule opens.
private func ports(_ rule: Manifest) -> Set<Int> {
    Set(objects(rule["ports"]).compactMap { integer($0["port"]) })
}
