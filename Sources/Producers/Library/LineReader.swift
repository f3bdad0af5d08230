import Foundation

/// Reads a file descriptor in large chunks and hands out lines without the newline (a final line without
/// one included), with no per-line allocation beyond the slice.
public struct LineReader {
    let fileDescriptor: Int32
    let chunkSize: Int

    public init(fileDescriptor: Int32, chunkSize: Int = 1 << 20) {
        self.fileDescriptor = fileDescriptor
        self.chunkSize = chunkSize
    }

    public func forEachLine(_ body: (ArraySlice<UInt8>) throws -> Void) throws {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if count == 0 { break }
            buffer.append(contentsOf: chunk[0..<count])
            var start = buffer.startIndex
            while let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                try body(buffer[start..<end])
                start = newline + 1
            }
            buffer.removeSubrange(..<start)
        }
        if !buffer.isEmpty { try body(buffer[...]) }
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
