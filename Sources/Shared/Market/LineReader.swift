import Foundation

/// Reads a file descriptor in large chunks and hands out lines without the newline (and without a
/// trailing `\r`); a final line without a newline is included. Memory stays at about one chunk.
public struct LineReader {
    let fileDescriptor: Int32
    let chunkSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    public init(fileDescriptor: Int32, chunkSize: Int = 1 << 20) {
        self.fileDescriptor = fileDescriptor
        self.chunkSize = chunkSize
    }

    /// The next line, or `nil` at the end of input.
    public mutating func nextLine() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = indexOfNewline() {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                defer { start = newline + 1 }
                return buffer[start..<end]
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                defer { start = buffer.count }
                return buffer[start...]
            }
            buffer.removeSubrange(..<start)
            start = 0
            try fill()
        }
    }

    /// `memchr` instead of `firstIndex(of:)`: the generic search is a byte loop, a tenth of replay's time.
    private func indexOfNewline() -> Int? {
        guard start < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start).map {
                UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - bytes.baseAddress!
            }
        }
    }

    public mutating func forEachLine(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        while let line = try nextLine() { try body(line) }
    }

    private mutating func fill() throws {
        let previous = buffer.count
        buffer.reserveCapacity(previous + chunkSize)
        var readCount = 0
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        while true {
            readCount = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress! + previous, chunkSize) }
            if readCount < 0 && errno == EINTR { continue }
            break
        }
        guard readCount >= 0 else {
            buffer.removeSubrange(previous...)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        buffer.removeSubrange((previous + readCount)...)
        if readCount == 0 { atEnd = true }
    }
}

/// Writes every byte, retrying short writes.
public func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) throws {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(fileDescriptor, $0.baseAddress! + offset, bytes.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        offset += written
    }
}
