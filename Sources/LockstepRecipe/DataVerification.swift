import Foundation
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepMonitor
import LockstepOperations
import LockstepOutputs
import LockstepTrain

/// Checks the shards of a run's datasets against their manifests' sha256 with each byte read
/// once per job, however many ranks there are (a collective call).
///
/// Rank 0 makes the `VerificationPlan` (shards not recorded verified and unchanged in the
/// caches, dealt out by size) and sends it to all; each rank hashes only its own shards. The
/// verdicts are then gathered: a shard that does not match is reported by the rank that
/// hashed it, and every rank stops. Rank 0 records what was verified in the caches.
enum DataVerification {
    /// What the verification did, the same on every rank.
    struct Outcome {
        var hashedShards: Int
        var hashedBytes: Int64
        /// The most any rank hashed.
        var hashedBytesPerRank: Int64
        /// What this rank hashed.
        var hashedBytesHere: Int64
        var cachedShards: Int
        var cachedBytes: Int64
        /// Wall time of the slowest rank's hashing.
        var seconds: Double
        var ranks: Int

        var summary: String {
            let gb = { (b: Int64) in String(format: "%.2f GB", Double(b) / 1e9) }
            var text = "lockstep: data verified: \(hashedShards + cachedShards) shard(s)"
            if hashedShards > 0 {
                text += String(format: ", %d hashed (%@) by %d rank(s) in %.2f s, at most %@ per rank (%.2f GB/s)", hashedShards,
                               gb(hashedBytes), ranks, seconds, gb(hashedBytesPerRank), Double(hashedBytesPerRank) / 1e9 / max(seconds, 1e-9))
            }
            if cachedShards > 0 { text += ", \(cachedShards) (\(gb(cachedBytes))) unchanged since verified" }
            return text
        }
    }

    /// A cache file, and the manifest whose shards it holds (nil: any manifest's).
    typealias CacheFile = (path: String, manifest: String?)

    /// Verifies the shards of `manifests`; `caches` are the cache files to read, and to write
    /// (best effort) on rank 0: `useCache` false hashes every shard whatever they say.
    static func run(_ manifests: [String], caches: [CacheFile], useCache: Bool, _ comm: any Communicator) throws -> Outcome {
        let planText = comm.rank == 0
            ? String(decoding: try JSONEncoder().encode(VerificationPlan(manifests: manifests, cache: .load(useCache ? caches.map(\.path) : []),
                                                                         ranks: comm.size)), as: UTF8.self) : ""
        let plan = try JSONDecoder().decode(VerificationPlan.self, from: Data(try comm.broadcast(planText, root: 0).utf8))
        if let error = plan.error { throw AgreedFailure(error) }
        let start = Date()
        let mine = plan.tasks[comm.rank]
        let failures = mine.compactMap { $0.problem() }
        let seconds = Date().timeIntervalSince(start)
        Console.shared.logOnly(String(format: "%@: hashed %d shard(s), %lld bytes, in %.2f s", comm.rankTag, mine.count,
                                      mine.reduce(Int64(0)) { $0 + $1.identity.size }, seconds))
        let bad = try comm.reports(failures.prefix(4).joined(separator: "\n  ") + (failures.count > 4 ? "\n  … and \(failures.count - 4) more" : ""),
                                   maxBytes: 4096)
        if !bad.isEmpty {
            let unreadable = bad.contains { $0.text.contains("cannot open") || $0.text.contains("read failed") }
            throw AgreedFailure("data verification failed on \(bad.count) of \(comm.size) rank(s):\n"
                                + bad.map { "  rank \($0.rank)@\($0.host): \($0.text)" }.joined(separator: "\n")
                                + (unreadable ? "\n" + Recipe.sharedDataHint
                                   : "\nre-create the damaged shards with `lockstep shard` (or copy them again from their source)"))
        }
        var slowest = [seconds]
        try slowest.withUnsafeMutableBufferPointer { try comm.allreduceMax($0) }
        if comm.rank == 0 { record(plan.tasks.flatMap { $0 }, in: caches) }
        let bytes = plan.bytesPerRank
        return Outcome(hashedShards: plan.tasks.reduce(0) { $0 + $1.count }, hashedBytes: bytes.reduce(0, +),
                       hashedBytesPerRank: bytes.max() ?? 0, hashedBytesHere: bytes[comm.rank], cachedShards: plan.cached, cachedBytes: plan.cachedBytes,
                       seconds: slowest[0], ranks: comm.size)
    }

    /// Rank 0 adds the verified shards to every cache file it can write: the run
    /// directory's (created if need be), and the one beside each manifest when that directory
    /// is writable (a read-only dataset directory is no error).
    private static func record(_ verified: [ShardCheck], in caches: [CacheFile]) {
        guard !verified.isEmpty else { return }
        for file in caches {
            let mine = verified.filter { file.manifest == nil || $0.manifest == file.manifest }
            guard !mine.isEmpty else { continue }
            let directory = (file.path as NSString).deletingLastPathComponent
            if file.manifest == nil { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            guard access(directory.isEmpty ? "." : directory, W_OK) == 0 else { continue }
            var cache = VerificationCache.load([file.path])
            for task in mine { cache.record(task.path, sha256: task.sha256, identity: task.identity) }
            try? cache.save(to: file.path)
        }
    }

    /// The cache files of a run: the run directory's, and one beside each manifest.
    static func cacheFiles(runDirectory: String?, manifests: [String]) -> [CacheFile] {
        (runDirectory.map { [($0 + "/verified-shards.json", nil)] } ?? []) + manifests.map { ($0 + ".verified.json", $0) }
    }
}
