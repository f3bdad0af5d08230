import TickbusTestSupport
import Foundation
import TickbusPostgres

/// A throwaway PostgreSQL server (own data directory and port, trust authentication) that a test may stop
/// and start without disturbing the shared one. `initdb` and `postgres` refuse root: run as `postgres`.
final class PrivatePostgres: @unchecked Sendable {
    let port: Int
    let directory: String
    private let binaries: String

    init() throws {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last else {
            throw PrivatePostgresError("no PostgreSQL server under /usr/lib/postgresql (run scripts/bootstrap)")
        }
        binaries = "/usr/lib/postgresql/\(version)/bin"
        directory = NSTemporaryDirectory() + "tickbus-pg-" + UUID().uuidString.prefix(8).lowercased()
        port = freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", directory]) }
        try runAsPostgres("\(binaries)/initdb", ["-D", directory + "/data", "-U", "tickbus", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"])
        try start()
    }

    var settings: PostgresSettings {
        var settings = PostgresSettings()
        settings.port = port
        settings.user = "tickbus"
        settings.database = "postgres"
        settings.sslMode = .disable
        settings.connectTimeout = .seconds(2)
        return settings
    }

    func start() throws {
        try runAsPostgres("\(binaries)/pg_ctl", [
            "-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "30",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        ])
    }

    func stop() throws {
        try runAsPostgres("\(binaries)/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
    }

    func destroy() {
        try? stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func runAsPostgres(_ tool: String, _ arguments: [String]) throws {
        if getuid() == 0 {
            try Self.run("/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
        } else {
            try Self.run(tool, arguments)
        }
    }

    /// posix_spawn + waitpid: Foundation's `Process.waitUntilExit` was seen never to reap the child inside
    /// the test process (a zombie `runuser`, the test hung).
    private static func run(_ tool: String, _ arguments: [String]) throws {
        // A file, not a pipe: the server pg_ctl starts inherits the descriptors and would hold a pipe open.
        let outputPath = NSTemporaryDirectory() + "tickbus-pg-output-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        guard spawned == 0 else { throw PrivatePostgresError("cannot start \(tool): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = FileManager.default.contents(atPath: outputPath) ?? Data()
            throw PrivatePostgresError("\(tool) \(arguments.joined(separator: " ")) failed (status \(status)): \(String(decoding: text, as: UTF8.self))")
        }
    }
}

struct PrivatePostgresError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
