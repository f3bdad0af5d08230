import Foundation
import Testing
import TickbusMarket
import TickbusTestSupport

/// The topic JSON Schemas of docs/schemas name the sources they accept: every source, so a record of a newly
/// added one is not refused by the end-to-end validation or by a consumer that validates.
@Suite("topic schemas")
struct SchemaTests {
    @Test func everySourceEnumListsEverySourceInOrder() throws {
        let directory = repositoryRoot + "/docs/schemas"
        var enums: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where file.hasSuffix(".schema.json") {
            let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
            let properties = (schema as? [String: Any])?["properties"] as? [String: Any] ?? [:]
            for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
                guard let values = (property as? [String: Any])?["enum"] as? [String], values.contains("chainlink") else { continue }
                #expect(values == SourceID.allCases.map(\.rawValue), "\(file): \(name)")
                enums.append("\(file) \(name)")
            }
        }
        #expect(enums == [
            "producer-dead-letter.schema.json source", "snapshot.schema.json source", "spread.schema.json a",
            "spread.schema.json b", "status.schema.json source", "tick.schema.json source", "window.schema.json source",
        ])
    }
}
