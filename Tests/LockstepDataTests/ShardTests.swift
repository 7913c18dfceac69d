import Foundation
import LockstepData
import LockstepHDF5
import LockstepTensor
import LockstepTestSupport
import XCTest

final class ShardTests: XCTestCase {
    var dir = ""

    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// 10 images of 2×2×1 whose pixels are 10·i + p, labels i mod 3, in 3 shards.
    @discardableResult
    func writeToySet(name: String = "toy") throws -> ShardManifest {
        let images = (0..<10).flatMap { i in (0..<4).map { UInt8(10 * i + $0) } }
        return try ShardWriter(directory: dir, name: name, shards: 3)
            .write(images: images, sampleShape: [2, 2, 1], labels: (0..<10).map { Int32($0 % 3) }, numClasses: 3,
                   labelNames: ["a", "b", "c"])
    }

    func testWriteThenReadAcrossShards() throws {
        let m = try writeToySet()
        XCTAssertEqual(m.shards.map(\.numSamples), [3, 3, 4])
        XCTAssertEqual(m.shards[0].file, "toy-00000-of-00003.h5")
        let set = try ShardSet(manifestPath: dir + "/toy.manifest.json")
        XCTAssertEqual(set.count, 10)
        XCTAssertEqual(set.sampleShape, [1, 2, 2])
        var out = [Float](repeating: 0, count: 4 * 4)
        let labels = try set.read([0, 2, 3, 9], into: &out, normalization: Normalization(scale: 1, mean: [1], std: [2]))
        XCTAssertEqual(labels, [0, 2, 0, 0])
        let expected = [0, 2, 3, 9].flatMap { i in (0..<4).map { Float(10 * i + $0 - 1) / 2 } }
        XCTAssertEqual(out, expected)
        let f = try HDF5File.open(dir + "/toy-00001-of-00003.h5")
        XCTAssertEqual(try f.stringAttribute("format"), "lockstep-shard")
        XCTAssertEqual(try f.intAttribute("num_samples"), 3)
    }

    func testChannelsLastImagesBecomeNCHW() throws {
        // One 1×2 image with 3 channels: pixel p channel c holds 10p + c.
        try ShardWriter(directory: dir, name: "rgb", shards: 1)
            .write(images: [0, 1, 2, 10, 11, 12], sampleShape: [1, 2, 3], labels: [0], numClasses: 1)
        let set = try ShardSet(manifestPath: dir + "/rgb.manifest.json")
        XCTAssertEqual(set.sampleShape, [3, 1, 2])
        var out = [Float](repeating: 0, count: 6)
        _ = try set.read([0], into: &out, normalization: Normalization(scale: 1, mean: [0, 1, 2], std: [1, 1, 1]))
        XCTAssertEqual(out, [0, 10, 0, 10, 0, 10])
    }

    func testCorruptedShardFailsItsChecksum() throws {
        try writeToySet()
        let victim = dir + "/toy-00001-of-00003.h5"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count - 5] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: victim))
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/toy.manifest.json")) { error in
            XCTAssert("\(error)".contains("toy-00001-of-00003.h5: sha256 mismatch"), "\(error)")
        }
    }

    func testTruncatedShardIsReportedEvenWithoutChecksums() throws {
        try writeToySet()
        let victim = dir + "/toy-00002-of-00003.h5"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: victim))
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/toy.manifest.json", verifyChecksums: false)) { error in
            XCTAssert("\(error)".contains("toy-00002-of-00003.h5"), "\(error)")
        }
    }

    func testMissingShardAndManifestProblems() throws {
        try writeToySet()
        try FileManager.default.removeItem(atPath: dir + "/toy-00000-of-00003.h5")
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/toy.manifest.json")) {
            XCTAssert("\($0)".contains("toy-00000-of-00003.h5: shard listed in") && "\($0)".contains("missing"), "\($0)")
        }
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/nope.manifest.json")) { XCTAssert("\($0)".contains("nope.manifest.json"), "\($0)") }
        let bad = dir + "/bad.manifest.json"
        try Data("{\"format\": \"lockstep-shard-manifest\"}".utf8).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try ShardSet(manifestPath: bad)) { XCTAssert("\($0)".contains("bad.manifest.json: manifest lacks the key"), "\($0)") }
    }

    /// Rewrites the manifest with `edit` applied (checksums stay valid).
    func editManifest(_ edit: (inout ShardManifest) -> Void) throws {
        var m = try ShardManifest.load(dir + "/toy.manifest.json")
        edit(&m)
        try m.write(to: dir + "/toy.manifest.json")
    }

    func testWrongShapesNamesAndLabelsAreNamed() throws {
        try writeToySet()
        try editManifest { $0.sampleShape = [3, 3, 1] }
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/toy.manifest.json")) {
            XCTAssert("\($0)".contains("toy-00000-of-00003.h5: /images has shape [3, 2, 2, 1], expected [3, 3, 3, 1]"), "\($0)")
        }
        try editManifest { $0.sampleShape = [2, 2, 1]; $0.numClasses = 2 }
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/toy.manifest.json")) {
            XCTAssert("\($0)".contains("toy-00000-of-00003.h5: label 2 of sample 2 is outside 0..<2"), "\($0)")
        }
        try editManifest { $0.numClasses = 3; $0.inputDataset = "features"; $0.dtype = "float32"; $0.sampleShape = [4] }
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/toy.manifest.json")) {
            XCTAssert("\($0)".contains("dataset /features expected by the manifest"), "\($0)")
        }
    }

    func testIDXReader() throws {
        let path = dir + "/t-idx1-ubyte"
        try Data([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]).write(to: URL(fileURLWithPath: path))
        let (dims, bytes) = try IDXReader.read(path)
        XCTAssertEqual(dims, [3])
        XCTAssertEqual(bytes, [7, 8, 9])
        try Data([0, 0, 8, 1, 0, 0, 0, 4, 7]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try IDXReader.read(path)) { XCTAssert("\($0)".contains("truncated"), "\($0)") }
    }
}

final class SamplerTests: XCTestCase {
    func testRankSlicesTogetherAreTheOneRankBatch() throws {
        let one = try DistributedSampler(numSamples: 100, batchPerRank: 12, rank: 0, worldSize: 1, seed: 5)
        for world in [2, 3, 4] {
            let parts = try (0..<world).map {
                try DistributedSampler(numSamples: 100, batchPerRank: 12 / world, rank: $0, worldSize: world, seed: 5).batches(epoch: 2)
            }
            let reference = one.batches(epoch: 2)
            XCTAssertEqual(parts[0].count, reference.count, "every rank runs the same number of steps")
            for step in reference.indices {
                XCTAssertEqual(parts.flatMap { $0[step] }.sorted(), reference[step], "world \(world) step \(step)")
            }
        }
        XCTAssertEqual(one.stepsPerEpoch, 8, "incomplete last batch dropped")
    }

    func testEpochsReshuffleDeterministically() throws {
        let s = try DistributedSampler(numSamples: 50, batchPerRank: 5, rank: 0, worldSize: 1, seed: 1)
        XCTAssertEqual(s.permutation(epoch: 0), s.permutation(epoch: 0))
        XCTAssertNotEqual(s.permutation(epoch: 0), s.permutation(epoch: 1))
        XCTAssertEqual(s.permutation(epoch: 3).sorted(), Array(0..<50))
        XCTAssertEqual(s.batches(epoch: 0, from: 4), Array(s.batches(epoch: 0).dropFirst(4)), "resumable mid-epoch")
    }

    func testBatchLargerThanTheDataIsAnError() {
        XCTAssertThrowsError(try DistributedSampler(numSamples: 100, batchPerRank: 60, rank: 0, worldSize: 2, seed: 0)) {
            XCTAssert("\($0)".contains("global batch 120") && "\($0)".contains("only 50"), "\($0)")
        }
    }

    func testEvaluationCoversEverySampleOnce() {
        let all = (0..<3).flatMap { EvaluationSampler(numSamples: 10, batchPerRank: 2, rank: $0, worldSize: 3).batches.flatMap { $0 } }
        XCTAssertEqual(all, Array(0..<10))
    }
}

final class BatchLoaderTests: XCTestCase {
    func testDeliversThePlanInOrderThenNil() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ShardWriter(directory: dir, name: "d", shards: 2)
            .write(images: (0..<8).map { UInt8($0) }, sampleShape: [1, 1, 1], labels: (0..<8).map { Int32($0 % 2) }, numClasses: 2)
        let set = try ShardSet(manifestPath: dir + "/d.manifest.json")
        let plan = [[0, 1], [3, 4, 5], [7]]
        // On a thread one batch ahead, and in `next()` itself, from the files and from memory.
        for (prefetch, source) in [(1, set), (0, set), (2, set.keepingInputsInMemory(true)), (0, set.keepingInputsInMemory(true))] {
            let loader = BatchLoader(source: source, plan: plan, normalization: Normalization(), prefetch: prefetch)
            var seen: [[Float]] = []
            while let b = try loader.next() {
                seen.append(b.inputs.toArray())
                XCTAssertEqual(b.inputs.shape, [b.indices.count, 1, 1, 1])
            }
            XCTAssertEqual(seen, plan.map { $0.map(Float.init) }, "prefetch \(prefetch)")
            XCTAssertNil(try loader.next())
        }
    }

    /// Batch memory is reused only once nothing holds it: a batch (or a view of its rows) kept
    /// while later batches are read keeps its values.
    func testAHeldBatchIsNeverOverwritten() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ShardWriter(directory: dir, name: "d", shards: 1)
            .write(images: (0..<40).map { UInt8($0) }, sampleShape: [1, 1, 1], labels: [Int32](repeating: 0, count: 40), numClasses: 1)
        let set = try ShardSet(manifestPath: dir + "/d.manifest.json").keepingInputsInMemory(true)
        let plan = (0..<20).map { [2 * $0, 2 * $0 + 1] }
        for prefetch in [0, 2] {
            let loader = BatchLoader(source: set, plan: plan, normalization: Normalization(), prefetch: prefetch)
            let first = try XCTUnwrap(loader.next()), rowView = try XCTUnwrap(loader.next()).inputs.rows(1..<2)
            var last: [Float] = []
            while let b = try loader.next() { last = b.inputs.toArray() }
            XCTAssertEqual(first.inputs.toArray(), [0, 1], "prefetch \(prefetch)")
            XCTAssertEqual(rowView.toArray(), [3], "prefetch \(prefetch)")
            XCTAssertEqual(last, [38, 39])
        }
    }
}

final class InputCacheTests: XCTestCase {
    /// Inputs kept in memory read exactly as from the files: bytes of several channels, float
    /// features, sequences normalized per feature, token ids; scattered samples across shards.
    func testInMemoryReadsEqualFileReads() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = CounterRNG(key: 5)
        let n = 37
        try ShardWriter(directory: dir, name: "rgb", shards: 4)
            .write(images: (0..<(n * 3 * 2 * 3)).map { _ in UInt8(rng.next() % 256) }, sampleShape: [3, 2, 3],
                   labels: (0..<n).map { Int32($0 % 5) }, numClasses: 5)
        func writeFloats(_ name: String, shards: Int, sampleShape: [Int], tokens: Bool, value: () -> Float) throws {
            let size = sampleShape.reduce(1, *), values = (0..<(n * size)).map { _ in value() }
            try ShardWriter(directory: dir, name: name, shards: shards).write(sampleShape: sampleShape, numClasses: 2, tokens: tokens) { s in
                let r = ShardWriter.range(of: s, shards: shards, samples: n)
                return (Array(values[(r.lowerBound * size)..<(r.upperBound * size)]), r.map { Int32($0 % 2) })
            }
        }
        try writeFloats("seq", shards: 3, sampleShape: [4, 2], tokens: false) { rng.nextNormal() }
        try writeFloats("tok", shards: 2, sampleShape: [5], tokens: true) { Float(rng.next() % 50) }
        let indices = [0, 1, 2, 5, 9, 10, 11, 17, 23, 30, 36]
        for (name, normalization) in [("rgb", Normalization(scale: nil, mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7])),
                                      ("seq", Normalization(scale: 1, mean: [1, -1], std: [2, 3])), ("tok", Normalization())] {
            let files = try ShardSet(manifestPath: dir + "/\(name).manifest.json")
            let memory = files.keepingInputsInMemory(true)
            XCTAssertTrue(memory.keepsInputsInMemory)
            XCTAssertFalse(files.keepsInputsInMemory)
            var a = [Float](repeating: .nan, count: indices.count * files.sampleSize), b = a
            let labelsA = try files.read(indices, into: &a, normalization: normalization)
            let labelsB = try memory.read(indices, into: &b, normalization: normalization)  // shards read whole on first use
            XCTAssertEqual(a, b, name)
            XCTAssertEqual(labelsA, labelsB, name)
            try memory.loadInputsIntoMemory()
            XCTAssertEqual(try memory.read(indices, into: &b, normalization: normalization), labelsA)
            XCTAssertEqual(a, b, name)
        }
    }

    /// A subset keeps in memory only the shards that hold its samples.
    func testASubsetKeepsOnlyItsShards() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Shards of 3, 3 and 4 samples; shard k holds class k only.
        try ShardWriter(directory: dir, name: "k", shards: 3)
            .write(images: (0..<10).map { UInt8($0) }, sampleShape: [1, 1, 1], labels: [0, 0, 0, 1, 1, 1, 2, 2, 2, 2], numClasses: 3)
        let present = try ShardSet.checkPresent(dir + "/k.manifest.json")
        let whole = try ShardSet(present, labels: [0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
        let third = try whole.restricted(classes: [2], limit: nil, seed: 1).keepingInputsInMemory(true)
        XCTAssertEqual(third.storedInputBytes, 4)
        XCTAssertEqual(whole.storedInputBytes, 10)
        try third.loadInputsIntoMemory()
        XCTAssertEqual(third.openShardCount, 1, "only the shard of class 2 was read")
        var out = [Float](repeating: 0, count: 2)
        _ = try third.read([1, 3], into: &out, normalization: Normalization())
        XCTAssertEqual(out, [7, 9])
    }

    func testPolicy() throws {
        let gib: UInt64 = 1 << 30
        // auto: every rank's copy together within 1/8 of the node's memory.
        XCTAssertTrue(try InputCache.auto.keeps(storedBytes: 1 << 30, ranksPerNode: 8, physicalMemory: 64 * gib, what: "d"))
        XCTAssertFalse(try InputCache.auto.keeps(storedBytes: 1 << 30, ranksPerNode: 9, physicalMemory: 64 * gib, what: "d"))
        XCTAssertFalse(try InputCache.none.keeps(storedBytes: 1, ranksPerNode: 1, physicalMemory: 64 * gib, what: "d"))
        XCTAssertTrue(try InputCache.memory.keeps(storedBytes: 1 << 30, ranksPerNode: 32, physicalMemory: 64 * gib, what: "d"))
        XCTAssertThrowsError(try InputCache.memory.keeps(storedBytes: 1 << 30, ranksPerNode: 33, physicalMemory: 64 * gib,
                                                         what: "big.manifest.json")) { error in
            let text = "\(error)"
            XCTAssert(text.contains("big.manifest.json") && text.contains("1.07 GB per rank") && text.contains("33 ranks")
                      && text.contains("data.cache: none"), text)
        }
    }
}
