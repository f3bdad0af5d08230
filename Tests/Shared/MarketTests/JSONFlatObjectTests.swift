import Testing
@testable import TickbusMarket

@Suite("JSON flat object scan")
struct JSONFlatObjectTests {
    /// What the flat scan reports: each member's raw key, kind, raw value and value bytes, or `nil` when it
    /// declines.
    func flatMembers(_ bytes: [UInt8]) -> [String]? {
        bytes.withUnsafeBufferPointer { buffer in
            var members: [String] = []
            let flat = JSONFlatObject.scan(buffer) { member in
                let key = String(decoding: buffer[member.key], as: UTF8.self)
                let raw = member.rawRange.map { String(decoding: buffer[$0], as: UTF8.self) } ?? "-"
                members.append("\(key) \(member.kind) \(raw) \(String(decoding: buffer[member.value], as: UTF8.self))")
            }
            return flat ? members : nil
        }
    }

    /// The same from a parsed document: `nil` unless it is an object whose members are all scalars.
    func documentMembers(_ bytes: [UInt8]) -> [String]? {
        guard let root = try? JSONDocument(parsing: bytes).root, root.kind == .object else { return nil }
        var members: [String] = []
        var flat = true
        root.forEachMember { key, value in
            guard value.kind != .object, value.kind != .array else { flat = false; return }
            let raw = value.rawRange.map { String(decoding: bytes[$0], as: UTF8.self) } ?? "-"
            let text: String = switch value.kind {
            case .string: value.rawRange.map { String(decoding: bytes[$0], as: UTF8.self) } ?? "(escaped)"
            case .bool: value.bool == true ? "true" : "false"
            case .null: "null"
            default: raw
            }
            members.append("\(String(decoding: key, as: UTF8.self)) \(value.kind) \(raw) \(text)")
        }
        return flat ? members : nil
    }

    func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let flat = flatMembers(bytes), document = documentMembers(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect((flat == nil) == (document == nil), "\(text)", sourceLocation: sourceLocation)
        // Escaped strings: the flat scan reports their raw bytes, the document only whether they are escaped.
        if let flat, let document, !document.joined().contains("(escaped)") {
            #expect(flat == document, "\(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func readsTheMembersOfAFrame() {
        let frame = Array(#" {"u":400900217, "s":"BNBUSDT","b":"25.35190000","m":true,"M":false,"x":null,"e":-1.5e3} "#.utf8)
        #expect(flatMembers(frame) == [
            "u number 400900217 400900217", "s string BNBUSDT BNBUSDT", "b string 25.35190000 25.35190000",
            "m bool - true", "M bool - false", "x null - null", "e number -1.5e3 -1.5e3",
        ])
        #expect(flatMembers(Array("{}".utf8)) == [])
        #expect(flatMembers(Array(#"{"k":"a\"b"}"#.utf8)) == [#"k string - a\"b"#], "escaped: no raw range")
    }

    @Test(arguments: [
        #"{"a":{"b":1}}"#, #"{"a":[1]}"#, "[1]", "1", #""s""#, "", "{", #"{"a":}"#, #"{"a" 1}"#, #"{"a":1,}"#,
        #"{"a":1}x"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":tru}"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{a:1}"#,
        #"{"a":1 "b":2}"#, #"{"a":NaN}"#,
    ])
    func declinesWhatIsNotAFlatObject(_ text: String) {
        #expect(flatMembers(Array(text.utf8)) == nil)
        expectAgreement(Array(text.utf8))
    }

    /// Every single-byte change, removal and truncation of real frames: the flat scan accepts exactly what
    /// the document parser accepts as a flat object, with the same members.
    @Test func agreesWithTheDocumentParserOnMutatedFrames() {
        let frames = [
            #"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
            #"{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100","T":1672515782136,"m":true,"M":true}"#,
            #"{"k":"caf\u00e9 \"q\" \\ /","n":null,"d":"2026-11-24T15:00:00.123456Z","long":"abcdefghijklmnopqrstuvwxyz"}"#,
        ]
        let replacements: [UInt8] = [0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x2C, 0x3A, 0x20, 0x30, 0x2E, 0x65, 0x2D, 0x01, 0x7F, 0xC3, 0xA9, 0xFF, 0x61]
        var checked = 0
        for text in frames {
            let bytes = Array(text.utf8)
            #expect(flatMembers(bytes) != nil)
            expectAgreement(bytes)
            for position in bytes.indices {
                for replacement in replacements where replacement != bytes[position] {
                    var mutated = bytes
                    mutated[position] = replacement
                    expectAgreement(mutated)
                    checked += 1
                }
                expectAgreement(Array(bytes[..<position]))
                var removed = bytes
                removed.remove(at: position)
                expectAgreement(removed)
                checked += 2
            }
        }
        #expect(checked > 5_000)
    }

    /// The eight-bytes-at-a-time string scan finds a special byte at every offset of a long string.
    @Test func findsSpecialBytesAtEveryOffsetOfALongString() throws {
        let specials: [(String, Bool)] = [(#"\""#, true), (#"\n"#, true), ("\u{01}", false), ("é", true), ("\u{7F}", true), ("\"", false)]
        for offset in 0..<24 {
            for (special, valid) in specials {
                var content = Array(repeating: "a", count: 24)
                content[offset] = special
                let text = #"{"k":""# + content.joined() + #""}"#
                #expect((flatMembers(Array(text.utf8)) != nil) == valid, "\(text)")
                expectAgreement(Array(text.utf8))
            }
            // Invalid UTF-8 (a lone continuation byte) at the offset.
            var bytes = Array(#"{"k":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 24) + Array(#""}"#.utf8)
            bytes[6 + offset] = 0x80
            #expect(flatMembers(bytes) == nil)
            #expect(throws: JSONError.self) { try JSONDocument(parsing: bytes) }
        }
    }
}
