public import ArgumentParser
import Foundation
public import TickbusPostgres

/// Postgres settings every service that reads or writes the database takes, by flag or environment. The
/// password comes only from the environment or a file (a flag would show in `ps`), and is never printed.
public struct PostgresOptions: ParsableArguments {
    @Option(help: "Postgres host (env TICKBUS_PG_HOST; default 127.0.0.1).")
    public var pgHost: String?

    @Option(help: "Postgres port (env TICKBUS_PG_PORT; default 5432).")
    public var pgPort: String?

    @Option(help: "Postgres role (env TICKBUS_PG_USER; default tickbus).")
    public var pgUser: String?

    @Option(help: "Postgres database (env TICKBUS_PG_DATABASE; default tickbus).")
    public var pgDatabase: String?

    @Option(help: "disable | prefer | require | verify-ca | verify-full (env TICKBUS_PG_SSLMODE; default prefer).")
    public var pgSslmode: String?

    @Option(help: "PEM file of the CA for verify-ca / verify-full (env TICKBUS_PG_SSLROOTCERT; default system roots).")
    public var pgSslrootcert: String?

    @Option(help: "File holding the password (env TICKBUS_PG_PASSWORD_FILE); env TICKBUS_PG_PASSWORD takes precedence.")
    public var pgPasswordFile: String?

    public init() {}

    public func resolve(applicationName: String) throws -> PostgresSettings {
        let environment = ProcessInfo.processInfo.environment
        var settings = PostgresSettings()
        settings.applicationName = applicationName
        settings.host = pgHost ?? environment["TICKBUS_PG_HOST"] ?? settings.host
        guard !settings.host.isEmpty else { throw ValidationError("--pg-host (TICKBUS_PG_HOST): empty") }
        let portText = pgPort ?? environment["TICKBUS_PG_PORT"] ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw ValidationError("--pg-port (TICKBUS_PG_PORT): expected 1-65535, got '\(portText)'")
        }
        settings.port = port
        settings.user = pgUser ?? environment["TICKBUS_PG_USER"] ?? settings.user
        settings.database = pgDatabase ?? environment["TICKBUS_PG_DATABASE"] ?? settings.database
        let modeText = pgSslmode ?? environment["TICKBUS_PG_SSLMODE"] ?? "prefer"
        guard let mode = PostgresSettings.SSLMode(rawValue: modeText) else {
            let modes = PostgresSettings.SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--pg-sslmode (TICKBUS_PG_SSLMODE): expected one of \(modes), got '\(modeText)'")
        }
        settings.sslMode = mode
        settings.sslRootCertificate = pgSslrootcert ?? environment["TICKBUS_PG_SSLROOTCERT"]
        if let root = settings.sslRootCertificate, !FileManager.default.isReadableFile(atPath: root) {
            throw ValidationError("--pg-sslrootcert (TICKBUS_PG_SSLROOTCERT): cannot read '\(root)'")
        }
        if let password = environment["TICKBUS_PG_PASSWORD"], !password.isEmpty {
            settings.password = password
        } else if let file = pgPasswordFile ?? environment["TICKBUS_PG_PASSWORD_FILE"] {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("--pg-password-file (TICKBUS_PG_PASSWORD_FILE): cannot read '\(file)'")
            }
            var password = String(decoding: contents, as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
            settings.password = password
        }
        return settings
    }
}
