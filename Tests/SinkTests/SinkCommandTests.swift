import TickbusTestSupport
import Foundation
import Testing
import TickbusPostgres

/// The `sink` executable: bad settings exit 2 naming the setting; the password never appears in any output.
@Suite("sink command")
struct SinkCommandTests {
    let executable = repositoryRoot + "/.build/debug/sink"

    func run(_ arguments: [String], environment extra: [String: String]) throws -> (status: Int32, output: String) {
        try runExecutable(executable, arguments, environment: extra)
    }

    @Test func aWrongPasswordFailsClearlyWithoutShowingIt() throws {
        let secret = "s3cret-" + UUID().uuidString
        let result = try run(["migrate"], environment: ["TICKBUS_PG_PASSWORD": secret, "TICKBUS_PG_SSLMODE": "disable"])
        #expect(result.status == 1)
        #expect(result.output.contains("28P01"), "the server's SQLSTATE is reported: \(result.output)")
        #expect(result.output.contains("password authentication failed for user"))
        #expect(!result.output.contains(secret))
    }

    @Test(arguments: [
        (["run", "--pg-sslmode", "sometimes"], "--pg-sslmode (TICKBUS_PG_SSLMODE): expected one of disable, prefer, require, verify-ca, verify-full, got 'sometimes'"),
        (["run", "--pg-port", "0"], "--pg-port (TICKBUS_PG_PORT): expected 1-65535, got '0'"),
        (["run", "--batch-rows", "many"], "--batch-rows (TICKBUS_SINK_BATCH_ROWS): expected 1-1000000, got 'many'"),
        (["retention", "--retention", "ticks=0"], "--retention (TICKBUS_SINK_RETENTION): days of ticks must be ≥ 1 or 'forever', got '0'"),
        (["retention", "--retention", "quotes=3"], "--retention (TICKBUS_SINK_RETENTION): 'quotes=3' is not <table>=<days>"),
        (["migrate", "--pg-password-file", "/nonexistent/password"], "--pg-password-file (TICKBUS_PG_PASSWORD_FILE): cannot read '/nonexistent/password'"),
    ])
    func badSettingsExit2NamingTheSetting(arguments: [String], message: String) throws {
        let result = try run(arguments, environment: ["TICKBUS_PG_PASSWORD": ""])
        #expect(result.status == 2)
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test func settingsDescriptionRedactsThePassword() {
        var settings = PostgresSettings()
        settings.password = "hunter2-very-secret"
        #expect(!"\(settings)".contains("hunter2"))
        #expect("\(settings)".contains("password=<redacted>"))
        let error = DatabaseError(.unavailable, "connecting to \(settings)")
        #expect(!"\(error)".contains("hunter2"))
    }
}
