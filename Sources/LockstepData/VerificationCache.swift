import Foundation
import LockstepHDF5

/// What identifies a file's contents without reading them: size, modification time (to the
/// nanosecond), inode and device, as stat(2) reports. A rewritten or replaced file changes
/// at least one; bit rot that changes none of them is found only by hashing again.
public struct FileIdentity: Codable, Equatable, Sendable {
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64

    public init(size: Int64, modifiedNanoseconds: Int64, inode: UInt64, device: UInt64) {
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.inode = inode
        self.device = device
    }

    /// The identity of the file at `path` (nil when it does not exist or cannot be stat'ed).
    public static func of(_ path: String) -> FileIdentity? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return FileIdentity(size: Int64(s.st_size), modifiedNanoseconds: Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec),
                            inode: UInt64(s.st_ino), device: UInt64(s.st_dev))
    }

    enum CodingKeys: String, CodingKey {
        case size
        case modifiedNanoseconds = "mtime_ns"
        case inode, device
    }
}

/// Shards already checked against their manifest's sha256, so a job restarted or requeued on
/// the same files does not hash them again: one JSON file, `{path: {sha256, size, mtime_ns,
/// inode, device, verified_at}}`. A shard counts as verified when its recorded digest is the
/// one its manifest expects now and its identity is unchanged.
public struct VerificationCache: Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public var sha256: String
        public var identity: FileIdentity
        /// Seconds since the epoch.
        public var verifiedAt: Double

        enum CodingKeys: String, CodingKey {
            case sha256, identity
            case verifiedAt = "verified_at"
        }
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// The entries of every readable cache file among `paths` (a missing or damaged file is
    /// just no entries: the shards it named are hashed again).
    public static func load(_ paths: [String]) -> VerificationCache {
        var cache = VerificationCache()
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path),
                  let entries = try? JSONDecoder().decode([String: Entry].self, from: data) else { continue }
            cache.entries.merge(entries) { a, b in a.verifiedAt >= b.verifiedAt ? a : b }
        }
        return cache
    }

    /// Whether `path`, now of `identity`, was verified to hold `sha256`.
    public func isVerified(_ path: String, sha256: String, identity: FileIdentity) -> Bool {
        guard let entry = entries[path] else { return false }
        return entry.sha256 == sha256 && entry.identity == identity
    }

    public mutating func record(_ path: String, sha256: String, identity: FileIdentity, at date: Date = Date()) {
        entries[path] = Entry(sha256: sha256, identity: identity, verifiedAt: date.timeIntervalSince1970)
    }

    /// Writes the entries whose path passes `include` to `path`, atomically.
    public func save(to path: String, including include: (String) -> Bool = { _ in true }) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(entries.filter { include($0.key) })), to: path)
    }
}
