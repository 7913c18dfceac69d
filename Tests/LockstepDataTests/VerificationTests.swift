import Foundation
import LockstepData
import LockstepHDF5
import LockstepTestSupport
import XCTest

/// Shard verification once per job: the plan that deals shards to ranks, the cache that
/// lets a restarted job skip unchanged shards, and shard files opened when first read.
final class VerificationTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func toy(shards: Int = 5) throws -> String {
        let images = (0..<40).flatMap { i in (0..<16).map { UInt8((7 * i + $0) % 256) } }
        try ShardWriter(directory: dir, name: "toy", shards: shards)
            .write(images: images, sampleShape: [4, 4, 1], labels: (0..<40).map { Int32($0 % 4) }, numClasses: 4, labelNames: ["a", "b", "c", "d"])
        return dir + "/toy.manifest.json"
    }

    private func check(_ size: Int64, _ name: String) -> ShardCheck {
        ShardCheck(path: name, manifest: "m", sha256: "", identity: FileIdentity(size: size, modifiedNanoseconds: 0, inode: 0, device: 0))
    }

    func testDealingBalancesBytesAndHashesEachShardOnce() {
        let sizes: [Int64] = [90, 10, 40, 40, 30, 30, 20, 20, 10, 10]
        let tasks = sizes.enumerated().map { check($1, "s\($0)") }
        for ranks in [1, 2, 3, 4, 16] {
            let dealt = VerificationPlan.deal(tasks, ranks: ranks)
            XCTAssertEqual(dealt.flatMap { $0 }.map(\.path).sorted(), tasks.map(\.path).sorted(), "\(ranks) ranks")
            let loads = dealt.map { $0.reduce(0) { $0 + $1.identity.size } }
            let fair = sizes.reduce(0, +) / Int64(ranks)
            XCTAssertLessThanOrEqual(loads.max()!, max(fair + sizes.max()!, sizes.max()!), "\(ranks): \(loads)")
        }
        XCTAssertEqual(VerificationPlan.deal(tasks, ranks: 2).map { $0.reduce(0) { $0 + $1.identity.size } }, [150, 150])
        XCTAssertEqual(VerificationPlan.deal(tasks, ranks: 2), VerificationPlan.deal(tasks.reversed(), ranks: 2))  // any order in, same plan
    }

    func testPlanSkipsWhatTheCacheRecordsUnchangedAndNamesAMissingShard() throws {
        let manifest = try toy()
        let fresh = VerificationPlan(manifests: [manifest], cache: VerificationCache(), ranks: 2)
        XCTAssertNil(fresh.error)
        XCTAssertEqual(fresh.tasks.map(\.count).reduce(0, +), 5)
        XCTAssertEqual(fresh.tasks.flatMap { $0 }.compactMap { $0.problem() }, [])

        var cache = VerificationCache()
        for task in fresh.tasks.flatMap({ $0 }) { cache.record(task.path, sha256: task.sha256, identity: task.identity) }
        try cache.save(to: dir + "/cache.json")
        let warm = VerificationPlan(manifests: [manifest], cache: .load([dir + "/cache.json", dir + "/absent.json"]), ranks: 2)
        XCTAssertEqual(warm.tasks.map(\.count), [0, 0])
        XCTAssertEqual(warm.cached, 5)

        // A rewritten shard (new mtime) is hashed again, and its damage found.
        let shard = dir + "/toy-00002-of-00005.h5"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: shard)))
        bytes[bytes.count - 5] ^= 0xFF
        usleep(20_000)
        try Data(bytes).write(to: URL(fileURLWithPath: shard))
        let changed = VerificationPlan(manifests: [manifest], cache: .load([dir + "/cache.json"]), ranks: 2)
        XCTAssertEqual(changed.tasks.flatMap { $0 }.map(\.path), [shard])
        XCTAssert(changed.tasks.flatMap { $0 }[0].problem()?.hasPrefix(shard + ": sha256 mismatch") == true)

        // A digest the manifest no longer expects is no match either.
        var other = VerificationCache()
        for task in fresh.tasks.flatMap({ $0 }) { other.record(task.path, sha256: String(repeating: "0", count: 64), identity: task.identity) }
        XCTAssertEqual(VerificationPlan(manifests: [manifest], cache: other, ranks: 1).cached, 0)

        try FileManager.default.removeItem(atPath: dir + "/toy-00004-of-00005.h5")
        let missing = VerificationPlan(manifests: [manifest], cache: VerificationCache(), ranks: 2)
        XCTAssertEqual(missing.error, "\(dir)/toy-00004-of-00005.h5: shard listed in \(manifest) is missing")
    }

    func testADamagedCacheFileIsNoCache() throws {
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: dir + "/cache.json"))
        XCTAssertTrue(VerificationCache.load([dir + "/cache.json"]).entries.isEmpty)
    }

    /// With labels given (rank 0's), no shard is opened until a read reaches it.
    func testShardsGivenLabelsOpenWhenFirstRead() throws {
        let manifest = try toy()
        let full = try ShardSet(manifestPath: manifest)
        XCTAssertEqual(full.openShardCount, 5)
        let lazy = try ShardSet(manifestPath: manifest, labels: full.labels)
        XCTAssertEqual(lazy.openShardCount, 0)
        var a = [Float](repeating: 0, count: 3 * 16), b = a
        XCTAssertEqual(try lazy.read([1, 2, 20], into: &a, normalization: .unitRange), try full.read([1, 2, 20], into: &b, normalization: .unitRange))
        XCTAssertEqual(a, b)
        XCTAssertEqual(lazy.openShardCount, 2)
        XCTAssertThrowsError(try ShardSet(manifestPath: manifest, labels: [0, 1])) {
            XCTAssert("\($0)".contains("2 labels given for 40 samples"), "\($0)")
        }
    }
}
