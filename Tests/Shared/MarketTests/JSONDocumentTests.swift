import Testing
@testable import TickbusMarket

@Suite("JSON document")
struct JSONDocumentTests {
    @Test func readsNestedValuesLazily() throws {
        let document = try JSONDocument(parsing: #"{"a":{"b":[1,"x",true,null,{"c":-2.5e3}]},"s":"q\"\\\u00e9\ud83d\ude00","n":false}"#)
        let root = document.root
        #expect(root.kind == .object)
        #expect(root.keys == ["a", "s", "n"])
        let array = try #require(root["a"]?["b"])
        #expect(array.elements.count == 5)
        #expect(array[0]?.int64 == 1)
        #expect(array[1]?.string == "x")
        #expect(array[2]?.bool == true)
        #expect(array[3]?.isNull == true)
        #expect(array[4]?["c"]?.decimal?.text == "-2.5e3")
        #expect(array[5] == nil)
        #expect(root["s"]?.string == "q\"\\é😀")
        #expect(root["n"]?.bool == false)
        #expect(root["missing"] == nil)
        #expect(root["a"]?["b"]?["c"] == nil, "keys of an array are absent, not an error")
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "[1 2]", "01", "1.", "-", "+1", ".5", "\"abc", "\"a\\x\"",
        "\"\u{01}\"", "tru", "nul", "{\"a\":1}x", "[\"\\u12G4\"]", "NaN",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONError.self) { try JSONDocument(parsing: text) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONError.self) { try JSONDocument(parsing: [0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONError.self) { try JSONDocument(parsing: deep) }
    }

    @Test func integersComeFromNumbersAndDigitStrings() throws {
        let root = try JSONDocument(parsing: #"{"a":"1597026383085","b":-7,"c":"12x","d":1.5,"e":"99999999999999999999"}"#).root
        #expect(root["a"]?.int64 == 1_597_026_383_085)
        #expect(root["b"]?.int64 == -7)
        #expect(root["c"]?.int64 == nil)
        #expect(root["d"]?.int64 == nil)
        #expect(root["e"]?.int64 == nil, "overflow is rejected, not wrapped")
    }
}

@Suite("Decimal text")
struct DecimalTextTests {
    @Test(arguments: [
        ("25.35190000", 25.3519), ("0.001", 0.001), ("65245.09165178642", 65245.09165178642),
        ("-1.5", -1.5), ("1e-7", 1e-7), ("0", 0.0), ("12345678901234567890.5", 12345678901234567890.5),
        ("0.1", 0.1), ("9007199254740993", 9007199254740993.0),
    ])
    func convertsToTheNearestDouble(_ text: String, _ expected: Double) throws {
        let decimal = try #require(DecimalText(text))
        #expect(decimal.doubleValue == expected)
        #expect(decimal.doubleValue == Double(text), "agrees with the standard library's correctly rounded parser")
    }

    @Test(arguments: ["", "+1", ".5", "1.", "01", "1e", "--1", "1,5", "NaN", "0x10", " 1"])
    func rejectsNonJSONNumbers(_ text: String) {
        #expect(DecimalText(text) == nil)
    }
}

@Suite("Tick codec")
struct TickCodecTests {
    func sample() throws -> Tick {
        Tick(source: .chainlink, instrument: try Instrument("BTC-USD"), venueSymbol: "btc/usd", kind: .oracle,
             last: DecimalText("65245.09165178642"), exact: "65245091651786417500000",
             venueTime: 1_785_150_685_000_000, receiveTime: 1_785_150_686_601_234,
             connection: 3, sequence: 42, producer: "chainlink-7f3a")
    }

    @Test func encodesTheDocumentedFieldsExactly() throws {
        let json = String(decoding: TickCodec.encode(try sample()), as: UTF8.self)
        #expect(json == #"{"v":1,"source":"chainlink","instrument":"BTC-USD","venue_symbol":"btc/usd","kind":"oracle","bid":null,"bid_size":null,"ask":null,"ask_size":null,"last":65245.09165178642,"exact":"65245091651786417500000","ts_venue":1785150685000000,"ts_recv":1785150686601234,"conn":3,"seq":42,"producer":"chainlink-7f3a"}"#)
    }

    /// The integer writer (two digits per step) at every digit count and sign.
    @Test func writesEveryIntegerWidthExactly() throws {
        var values: [Int64] = [0, 1, 9, 10, 11, 99, 100, 101, Int64.max, Int64.min, -1, -10, -100]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power, 7 * power + 3]
        }
        var tick = try sample()
        for value in values {
            tick.venueTime = value
            tick.connection = Int(value)
            let json = String(decoding: TickCodec.encode(tick), as: UTF8.self)
            #expect(json.contains(#","ts_venue":\#(value),"#), "\(value)")
            #expect(json.contains(#","conn":\#(value),"#), "\(value)")
        }
    }

    @Test func roundTripsKeepingTheVenuesDigits() throws {
        var tick = try sample()
        tick.kind = .quote
        tick.bid = DecimalText("25.35190000")
        tick.ask = DecimalText("25.36520000")
        tick.venueTime = nil
        tick.exact = nil
        tick.producer = "quote \"x\"\n"
        let decoded = try TickCodec.decode(TickCodec.encode(tick))
        #expect(decoded == tick)
        #expect(decoded.bid?.text == "25.35190000", "trailing zeros are the venue's and are kept")
        #expect(decoded.price == (25.3519 + 25.3652) / 2)
        #expect(decoded.eventTime == tick.receiveTime, "no venue time: event time is the receive time")
    }

    @Test func rejectsTicksWithMissingOrMistypedFields() throws {
        let good = String(decoding: TickCodec.encode(try sample()), as: UTF8.self)
        let cases: [(String, String?)] = [
            (good.replacingOccurrences(of: #""v":1"#, with: #""v":2"#), "v"),
            (good.replacingOccurrences(of: #""source":"chainlink""#, with: #""source":"nyse""#), "source"),
            (good.replacingOccurrences(of: #""instrument":"BTC-USD""#, with: #""instrument":"BTCUSD""#), "instrument"),
            (good.replacingOccurrences(of: #""last":65245.09165178642"#, with: #""last":"65245.0""#), "last"),
            (good.replacingOccurrences(of: #""seq":42"#, with: #""seq":-1"#), "seq"),
            (good.replacingOccurrences(of: #","ts_recv":1785150686601234"#, with: ""), "ts_recv"),
            ("[1]", nil),
        ]
        for (text, field) in cases {
            let error = #expect(throws: TickDecodingError.self) { try TickCodec.decode(Array(text.utf8)) }
            #expect(error?.field == field, "\(text)")
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
