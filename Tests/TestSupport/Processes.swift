public import Foundation

/// Runs a built executable with output in a file (no pipes: no reader to deadlock) and a hard deadline;
/// returns its exit status and everything it printed (stdout and stderr together).
public func runExecutable(
    _ path: String, _ arguments: [String], environment extra: [String: String] = [:], deadline seconds: Double = 30
) throws -> (status: Int32, output: String) {
    let outputPath = NSTemporaryDirectory() + "tickbus-run-" + UUID().uuidString
    FileManager.default.createFile(atPath: outputPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    try output.close()
    return (process.terminationStatus, String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self))
}

/// Status code and body of a GET, through curl (installed by scripts/bootstrap).
public func curl(_ url: String) throws -> (status: Int, body: String) {
    let result = try runExecutable("/usr/bin/env", ["curl", "-s", "--max-time", "10", "-w", "\n%{http_code}", url], deadline: 15)
    var lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.popLast() ?? "") ?? -1
    return (status, lines.joined(separator: "\n"))
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
