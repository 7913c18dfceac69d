import Crypto
import Foundation

/// SHA-256 of files, streamed in 4 MiB pieces.
public enum FileDigest {
    /// Lower-case hex sha256 of the file at `path`.
    public static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataError("\(path): cannot open to checksum") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
