#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Receive times for ticks and events: the host's real-time clock in µs since the epoch, read in integers
/// (no Double rounding of `Date().timeIntervalSince1970`).
public enum WallClock {
    public static func microseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }
}
