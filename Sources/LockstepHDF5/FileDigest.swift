import Crypto
import Foundation

/// SHA-256 of files, streamed in 16 MiB pieces, and the digest files ("sidecars") that let a
/// file Lockstep wrote be checked before any parser reads it.
///
/// swift-crypto hashes through BoringSSL, which uses the CPU's SHA extensions (SHA-NI on
/// x86-64 since AMD Zen and Intel Ice Lake / Goldmont; the ARMv8 crypto extensions): about
/// 1.5 GB/s per core where they exist, a third of that where not. Files are mapped and
/// hashed from the page cache, the kernel told the access is sequential.
///
/// A sidecar `FILE.sha256` holds one line in `sha256sum` format (`<hex>  <name>`), so
/// `sha256sum -c FILE.sha256` checks it too. Writers create the sidecar before the file is
/// renamed into place, so every committed file has one.
public enum FileDigest {
    /// Bytes hashed per update.
    static let blockSize = 16 << 20

    /// Lower-case hex sha256 of the file at `path`. The file is mapped, not read: the hash
    /// reads the page cache directly, without copying every byte into a buffer first.
    public static func sha256(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HDF5Error(file: path, message: "cannot open to checksum (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw HDF5Error(file: path, message: "cannot stat to checksum (\(String(cString: strerror(errno))))") }
        var hasher = SHA256()
        let size = Int(info.st_size)
        if size > 0 {
            guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
                throw HDF5Error(file: path, message: "cannot map to checksum (\(String(cString: strerror(errno))))")
            }
            defer { munmap(base, size) }
            _ = madvise(base, size, MADV_SEQUENTIAL)
            // A file truncated while mapped faults (SIGBUS) on the pages past its new end: the
            // read guard names the file, as for libhdf5's reads.
            ReadGuard.reading(path) {
                var offset = 0
                while offset < size {
                    let n = min(blockSize, size - offset)
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(start: base + offset, count: n))
                    offset += n
                }
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The sidecar of `path`.
    public static func sidecarPath(_ path: String) -> String { path + ".sha256" }

    /// Writes the sidecar of `path` holding `digest`, atomically.
    public static func writeSidecar(digest: String, for path: String) throws {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        try AtomicFile.write(Array("\(digest)  \(name)\n".utf8), to: sidecarPath(path))
    }

    /// What checking a file against its sidecar found.
    public enum Check: Equatable, Sendable {
        /// The file matches its recorded digest.
        case intact
        /// No sidecar (a file from elsewhere, or from a Lockstep that did not write them).
        case unrecorded
    }

    /// Checks `path` against its sidecar; a mismatch (a flipped byte, a truncation, a file
    /// replaced after writing) or an unreadable sidecar is an error naming the file.
    @discardableResult
    public static func verify(_ path: String) throws -> Check {
        guard let data = FileManager.default.contents(atPath: sidecarPath(path)) else { return .unrecorded }
        let recorded = String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
        guard recorded.count == 64, recorded.allSatisfy(\.isHexDigit) else {
            throw HDF5Error(file: path, message: "its digest file \(sidecarPath(path)) is damaged; the file cannot be trusted")
        }
        let actual = try sha256(path)
        guard actual == recorded else {
            throw HDF5Error(file: path, message: "sha256 mismatch (recorded \(recorded.prefix(16))…, file \(actual.prefix(16))…): the file is corrupted or was changed after Lockstep wrote it")
        }
        return .intact
    }
}
