import Foundation
import Testing
import TickbusMarket

@Suite("Line reader")
struct LineReaderTests {
    func lines(of text: String, chunkSize: Int) throws -> [String] {
        let pipe = Pipe()
        let writer = pipe.fileHandleForWriting
        let data = Data(text.utf8)
        let feeding = Thread { writer.write(data); try? writer.close() }
        feeding.start()
        var reader = LineReader(fileDescriptor: pipe.fileHandleForReading.fileDescriptor, chunkSize: chunkSize)
        var result: [String] = []
        while let line = try reader.nextLine() { result.append(String(decoding: line, as: UTF8.self)) }
        return result
    }

    @Test(arguments: [1, 3, 7, 1 << 16])
    func splitsLinesAcrossChunkBoundaries(_ chunkSize: Int) throws {
        #expect(try lines(of: "alpha\nbeta\r\n\ngamma", chunkSize: chunkSize) == ["alpha", "beta", "", "gamma"])
        #expect(try lines(of: "", chunkSize: chunkSize) == [])
        #expect(try lines(of: "one\n", chunkSize: chunkSize) == ["one"])
        let many = (0..<5000).map { "line-\($0)" }
        #expect(try lines(of: many.joined(separator: "\n") + "\n", chunkSize: chunkSize) == many)
    }
}
