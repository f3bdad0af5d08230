import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import PostgresNIO

/// Where and how the sink and health reach Postgres. The password is held, never printed: `description`
/// and every error built from these settings leave it out.
public struct PostgresSettings: Sendable, CustomStringConvertible {
    /// libpq's `sslmode` values.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without certificate checks. Default (libpq's default too).
        case prefer
        /// TLS or fail, without certificate checks.
        case require
        /// TLS, the server certificate must chain to the root certificate; the host name is not checked.
        case verifyCA = "verify-ca"
        /// TLS, chain and host name checked.
        case verifyFull = "verify-full"
    }

    /// Default `127.0.0.1`.
    public var host = "127.0.0.1"
    /// Default 5432.
    public var port = 5432
    /// Default `tickbus`.
    public var user = "tickbus"
    /// Default `tickbus`.
    public var database = "tickbus"
    /// Default `.prefer`.
    public var sslMode = SSLMode.prefer
    /// PEM file of the CA that signs the server certificate (verify-ca, verify-full). Default: system roots.
    public var sslRootCertificate: String?
    /// The password; never logged. Default: none (trust or peer authentication).
    public var password: String?
    /// Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// `application_name` reported to the server. Default `tickbus`.
    public var applicationName = "tickbus"

    public init() {}

    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database) sslmode=\(sslMode.rawValue) password=\(password == nil ? "none" : "<redacted>")"
    }

    public func connectionConfiguration() throws(DatabaseError) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: try tls())
        let (seconds, attoseconds) = connectTimeout.components
        configuration.options.connectTimeout = .milliseconds(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        configuration.options.additionalStartupParameters = [("application_name", applicationName), ("TimeZone", "UTC")]
        return configuration
    }

    private func tls() throws(DatabaseError) -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let sslRootCertificate, sslMode == .verifyCA || sslMode == .verifyFull {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(sslRootCertificate))
            } catch {
                throw DatabaseError(.configuration, "cannot read the TLS root certificate \(sslRootCertificate): \(error)")
            }
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw DatabaseError(.configuration, "cannot build the TLS context: \(error)")
        }
        return sslMode == .prefer ? .prefer(context) : .require(context)
    }

    /// Opens one connection (UTC session time zone).
    public func connect(logger: Logger, id: Int = 1) async throws(DatabaseError) -> PostgresConnection {
        let configuration = try connectionConfiguration()
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        } catch {
            throw DatabaseError(error, while: "connecting to \(self)")
        }
    }
}

/// A database failure with a code and a description safe to log: server errors keep their SQLSTATE and message
/// (which never carry the password), client errors their kind; the settings' password is never included.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Bad settings (TLS files, sslmode): fix the configuration.
        case configuration
        /// Network, TLS or authentication trouble, or the server went away: retry with backoff.
        case unavailable
        /// The server refused a row's values (SQLSTATE class 22 or 23, except 23505): not retryable.
        case rejectedData
        /// A row with this natural key exists (23505).
        case duplicateKey
        /// Anything else the server reported (schema missing, permissions, …): retried, loudly.
        case server
    }

    public let code: Code
    public let sqlState: String?
    public let message: String

    public init(_ code: Code, _ message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    /// Classifies a postgres-nio error.
    public init(_ error: any Error, while doing: String) {
        guard let error = error as? PSQLError else {
            self.init(.unavailable, "\(doing): \(error)")
            return
        }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            self.init(.unavailable, "\(doing): \(error.code)")
            return
        }
        let serverMessage = error.serverInfo?[.message] ?? "no message"
        let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
        let code: Code
        switch state {
        case "23505": code = .duplicateKey
        case _ where state.hasPrefix("22") || state.hasPrefix("23"), "54000": code = .rejectedData
        case _ where state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53") || state.hasPrefix("28")
            || state.hasPrefix("40") || state == "55P03":
            code = .unavailable
        default: code = .server
        }
        self.init(code, "\(doing): \(serverMessage)\(detail)", sqlState: state)
    }

    public var description: String {
        "database \(code.rawValue)" + (sqlState.map { " [\($0)]" } ?? "") + ": " + message
    }
}

extension PostgresConnection {
    /// Runs one statement, discarding rows; failures become a ``DatabaseError`` saying what was being done.
    public func execute(_ query: PostgresQuery, logger: Logger, doing: String) async throws(DatabaseError) {
        do {
            _ = try await self.query(query, logger: logger)
        } catch {
            throw DatabaseError(error, while: doing)
        }
    }
}
