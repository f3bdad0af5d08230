import TickbusMarket
/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (UTC, as Coinbase sends it) to µs since the epoch, exactly:
/// fraction digits beyond µs are truncated, none are rounded through floating point.
enum ISO8601Microseconds {
    static func parse(_ bytes: some Collection<UInt8>) -> Int64? {
        let text = Array(bytes)
        guard text.count >= 20, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
              text[10] == UInt8(ascii: "T") || text[10] == UInt8(ascii: " "),
              text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), text.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard (48...57).contains(text[index]) else { return nil }
                value = value * 10 + Int64(text[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var micros: Int64 = 0
        if text[19] == UInt8(ascii: ".") {
            let digits = text[20..<(text.count - 1)]
            guard !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
            var scale: Int64 = 100_000
            for digit in digits.prefix(6) {
                micros += Int64(digit - 48) * scale
                scale /= 10
            }
        } else if text.count != 20 {
            return nil
        }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros
    }
}
