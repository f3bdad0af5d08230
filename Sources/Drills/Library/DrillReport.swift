import Foundation

/// The drills' results as the Markdown table `make drills` prints and writes into docs/reliability.md.
public enum DrillReport {
    public static func table(_ results: [DrillResult], final: DrillResult) -> String {
        var lines = [
            "| drill | load (ticks/s) | ticks published | ticks stored | lost | duplicated | recovery s | dead letters (sent/stored) | peak memory | result |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for result in results + [final] {
            let recovery = result.recoverySeconds.map { String(format: "%.1f", $0) } ?? (result.name == final.name ? "" : "none")
            let memory = result.peakMemory > 0 ? "\(result.peakMemory >> 20) MiB (\(result.peakMemoryService))" : ""
            let letters = "\(result.deadLettersInjected)/\(result.deadLettersStored)"
            let load = result.name == final.name ? "" : String(format: "%.0f", result.load)
            lines.append("| \(result.name) | \(load) | \(result.published) | \(result.stored) | \(result.lost) | \(result.duplicated) | \(recovery) | \(letters) | \(memory) | \(result.passed ? "pass" : "FAIL") |")
        }
        return lines.joined(separator: "\n")
    }

    /// Each failed drill with the invariants it broke.
    public static func violations(_ results: [DrillResult]) -> String {
        results.filter { !$0.passed }.map { "- \($0.name): \($0.violations.joined(separator: "; "))" }.joined(separator: "\n")
    }
}
