import Foundation
import LockstepHDF5

/// One shard to check against its manifest's sha256.
public struct ShardCheck: Codable, Equatable, Sendable {
    public var path: String
    public var manifest: String
    public var sha256: String
    public var identity: FileIdentity

    public init(path: String, manifest: String, sha256: String, identity: FileIdentity) {
        self.path = path
        self.manifest = manifest
        self.sha256 = sha256
        self.identity = identity
    }

    /// The shard's problem, or nil when its sha256 is the manifest's.
    public func problem() -> String? {
        do { return try Self.mismatch(path, expected: sha256) } catch { return "\(error)" }
    }

    /// What is wrong when the file at `path` does not hash to `expected`, or nil; throws
    /// when it cannot be read.
    public static func mismatch(_ path: String, expected: String) throws -> String? {
        let digest = try FileDigest.sha256(path)
        guard digest != expected else { return nil }
        return "\(path): sha256 mismatch (manifest \(expected.prefix(16))…, file \(digest.prefix(16))…): the shard is corrupted or was replaced"
    }
}

/// Which rank hashes which shard: every shard of the manifests that exists and that the
/// cache does not record as verified and unchanged, dealt out largest first to the rank with
/// the fewest bytes so far, so that each byte is hashed once and no rank gets more than
/// its fair share plus one shard. Made by rank 0, sent to all as JSON.
public struct VerificationPlan: Codable, Sendable {
    /// Why the data cannot be verified (a manifest that does not load, a missing shard).
    public var error: String?
    /// Rank r's shards.
    public var tasks: [[ShardCheck]] = []
    /// Shards skipped as verified and unchanged, and their bytes.
    public var cached = 0
    public var cachedBytes: Int64 = 0

    public init(manifests: [String], cache: VerificationCache, ranks: Int) {
        var todo: [ShardCheck] = []
        do {
            for manifestPath in manifests {
                let manifest = try ShardManifest.load(manifestPath)
                for shard in manifest.shards {
                    let path = Self.shardPath(shard.file, manifest: manifestPath)
                    guard let identity = FileIdentity.of(path) else {
                        throw DataError("\(path): shard listed in \(manifestPath) is missing")
                    }
                    if cache.isVerified(path, sha256: shard.sha256, identity: identity) {
                        cached += 1
                        cachedBytes += identity.size
                    } else {
                        todo.append(ShardCheck(path: path, manifest: manifestPath, sha256: shard.sha256, identity: identity))
                    }
                }
            }
        } catch {
            self.error = "\(error)"
            return
        }
        tasks = Self.deal(todo, ranks: ranks)
    }

    /// Tasks dealt out largest first, each to the rank with the fewest bytes so far (the
    /// lowest rank on a tie).
    public static func deal(_ tasks: [ShardCheck], ranks: Int) -> [[ShardCheck]] {
        var dealt = [[ShardCheck]](repeating: [], count: ranks)
        var load = [Int64](repeating: 0, count: ranks)
        for task in tasks.sorted(by: { ($0.identity.size, $1.path) > ($1.identity.size, $0.path) }) {
            let r = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            dealt[r].append(task)
            load[r] += task.identity.size
        }
        return dealt
    }

    /// Bytes each rank hashes.
    public var bytesPerRank: [Int64] { tasks.map { $0.reduce(0) { $0 + $1.identity.size } } }

    /// The absolute path of a shard file named in a manifest.
    public static func shardPath(_ file: String, manifest: String) -> String {
        let directory = (manifest as NSString).deletingLastPathComponent
        return URL(fileURLWithPath: directory.isEmpty ? file : directory + "/" + file).standardizedFileURL.path
    }
}
