import CZlib

/// Reads IDX files (the MNIST / Fashion-MNIST format), gzip-compressed or not.
///
/// Layout: magic (0, 0, type code, number of dims), big-endian UInt32 dims, then the data.
/// Only unsigned bytes (type 0x08) are accepted, which is what these datasets use.
public enum IDXReader {
    /// Dimensions and raw bytes of an IDX file.
    public static func read(_ path: String) throws -> (dims: [Int], bytes: [UInt8]) {
        guard let gz = gzopen(path, "rb") else { throw DataError("\(path): cannot open (missing or unreadable)") }
        defer { gzclose(gz) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw DataError("\(path): read error (corrupted gzip stream?)") }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<Int(n)])
        }
        guard data.count >= 4, data[0] == 0, data[1] == 0 else { throw DataError("\(path): not an IDX file (bad magic)") }
        guard data[2] == 0x08 else { throw DataError("\(path): IDX element type 0x\(String(data[2], radix: 16)), expected 0x08 (unsigned byte)") }
        let rank = Int(data[3])
        let header = 4 + 4 * rank
        guard data.count >= header else { throw DataError("\(path): truncated IDX header") }
        let dims = (0..<rank).map { i in
            (0..<4).reduce(0) { $0 << 8 | Int(data[4 + 4 * i + $1]) }
        }
        let expected = dims.reduce(1, *)
        guard data.count - header == expected else {
            throw DataError("\(path): IDX dims \(dims) need \(expected) bytes of data, file has \(data.count - header) (truncated?)")
        }
        return (dims, Array(data[header...]))
    }
}
