import Foundation

/// The user's Polymarket CLOB API credentials, which PolyBolt's price channels require (docs/configuration.md
/// "Polymarket credentials"). They can trade, so all three are secrets: read only from the environment or
/// from files (never a flag), and every description of this type is redacted — it is safe in logs,
/// errors and string interpolation, and the values leave the process only inside the `auth` frame.
public struct PolymarketCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let apiKey: String
    public let secret: String
    public let passphrase: String

    public init(apiKey: String, secret: String, passphrase: String) {
        self.apiKey = apiKey
        self.secret = secret
        self.passphrase = passphrase
    }

    /// The environment variables, each also readable from the file its `_FILE` variant names.
    public static let variables = ["TICKBUS_POLYMARKET_API_KEY", "TICKBUS_POLYMARKET_SECRET", "TICKBUS_POLYMARKET_PASSPHRASE"]

    public struct ConfigurationError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The credentials configured in `environment`; `nil` when none of the three is set; an error naming the
    /// variable when only some are, or when a file cannot be read. Values are trimmed of surrounding whitespace
    /// (a file usually ends with a newline) and never appear in an error.
    public static func load(from environment: [String: String]) throws(ConfigurationError) -> PolymarketCredentials? {
        var values: [String] = []
        for name in variables {
            if let file = environment[name + "_FILE"] {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ConfigurationError(description: "\(name)_FILE: cannot read '\(file)'")
                }
                values.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
                values.append((environment[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        if values.allSatisfy(\.isEmpty) { return nil }
        if let missing = zip(variables, values).first(where: { $0.1.isEmpty }) {
            throw ConfigurationError(description: "\(missing.0) (or \(missing.0)_FILE): required with the other Polymarket credentials")
        }
        return PolymarketCredentials(apiKey: values[0], secret: values[1], passphrase: values[2])
    }

    /// Whether `text` contains any of the three values (tests check logs and status events with it).
    public func appears(in text: String) -> Bool {
        [apiKey, secret, passphrase].contains { !$0.isEmpty && text.contains($0) }
    }

    public var description: String { "PolymarketCredentials(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
