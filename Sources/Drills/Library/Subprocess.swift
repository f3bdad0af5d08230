import Foundation

/// Runs an executable with output in a file (no pipes: a daemon it starts would hold a pipe open) and a hard
/// deadline; returns its exit status and everything it printed (stdout and stderr together).
///
/// posix_spawn + waitpid rather than Foundation's `Process`: `Process` was seen never to reap a child inside
/// the test process, and its children inherit the test process's blocked signals (a script's `trap … TERM`
/// then never fires). Here every signal is unblocked and reset to its default in the child.
public func runExecutable(
    _ path: String, _ arguments: [String], environment extra: [String: String] = [:], deadline seconds: Double = 30
) throws -> (status: Int32, output: String) {
    let outputPath = NSTemporaryDirectory() + "tickbus-run-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of ours leaks into the child: a listening socket inherited by a daemon it starts would
    // outlive our closing it (the drills' broker proxy could not listen again). Swift does not see glibc's
    // posix_spawn_file_actions_addclosefrom_np, so every descriptor of ours is marked close-on-exec.
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        if let descriptor = Int32(entry), descriptor > 2 { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t(), allSignals = sigset_t()
    sigemptyset(&noSignals)
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }.map { "\($0.key)=\($0.value)" }
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw RunError(description: "cannot start \(path): error \(spawned)") }
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid || (reaped == -1 && errno != EINTR) { break }
        if Date() > deadline {
            kill(pid, SIGKILL)
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            break
        }
        usleep(20_000)
    }
    let exitStatus: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self))
}

public struct RunError: Error, CustomStringConvertible {
    public let description: String
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
