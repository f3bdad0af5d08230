/// Capped exponential backoff with jitter: attempt `n` waits between half and all of
/// `min(cap, initial · 2ⁿ)`, so delays grow visibly, never exceed the cap, and reconnecting clients spread.
public struct Backoff: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// First delay's upper bound. Default: 500 ms.
        public var initial: Duration = .milliseconds(500)
        /// Largest delay. Default: 30 s.
        public var cap: Duration = .seconds(30)

        public init(initial: Duration = .milliseconds(500), cap: Duration = .seconds(30)) {
            self.initial = initial
            self.cap = cap
        }
    }

    public let configuration: Configuration
    public private(set) var attempt = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The ceiling of the next delay, before jitter.
    public var ceiling: Duration {
        var ceiling = configuration.initial
        for _ in 0..<min(attempt, 62) {
            ceiling *= 2
            if ceiling >= configuration.cap { return configuration.cap }
        }
        return min(ceiling, configuration.cap)
    }

    /// The next delay, and one more attempt counted.
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = self.ceiling
        attempt += 1
        let half = ceiling / 2
        let jitterNanoseconds = Int64.random(in: 0...max(0, Self.nanoseconds(half)), using: &generator)
        return half + .nanoseconds(jitterNanoseconds)
    }

    public mutating func next() -> Duration {
        var generator = SystemRandomNumberGenerator()
        return next(using: &generator)
    }

    /// A healthy connection resets the growth.
    public mutating func reset() {
        attempt = 0
    }

    /// A duration in whole nanoseconds.
    public static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
