import CMachine
import Foundation
import LockstepHDF5
import LockstepTensor

/// Per-channel input normalization: x = (v · scale − mean[c]) / std[c].
public struct Normalization: Sendable, Equatable {
    /// Applied first; nil: 1/255 for bytes (into [0, 1]), 1 for float32 samples.
    public var scale: Float?
    /// Per-channel means (one value applies to all channels).
    public var mean: [Float]
    /// Per-channel standard deviations.
    public var std: [Float]

    public init(scale: Float? = 1, mean: [Float] = [0], std: [Float] = [1]) {
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    /// Bytes to [0, 1].
    public static let unitRange = Normalization(scale: 1 / 255)

    /// Per-channel (a, b) with x = v·a + b, for stored `bytes` or float32 values.
    public func coefficients(channels: Int, bytes: Bool) throws -> [(a: Float, b: Float)] {
        let scale = scale ?? (bytes ? 1 / 255 : 1)
        guard mean.count == 1 || mean.count == channels, std.count == 1 || std.count == channels else {
            throw DataError("normalize: mean has \(mean.count) and std \(std.count) values; the data has \(channels) channels (give 1 or \(channels))")
        }
        return (0..<channels).map { c in
            let m = mean.count == 1 ? mean[0] : mean[c], s = std.count == 1 ? std[0] : std[c]
            return (scale / s, -m / s)
        }
    }

    /// `samples` samples of `pixels` positions, channels last (HWC, as shards and decoded images
    /// store them), into channels-first floats (CHW), x = v·a[c] + b[c] with `coef` from
    /// `coefficients(channels:bytes:)`.
    public static func planarize(_ src: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<Float>, samples: Int, pixels: Int,
                                 coef: [(a: Float, b: Float)]) {
        planarize(into: dst, samples: samples, pixels: pixels, coef: coef) { out, at, stride, count, a, b in
            if stride == 1 {
                VectorOps.bytesToFloats(src + at, count: count, scale: a, offset: b, into: out)
            } else {
                for p in 0..<count { out[p] = Float(src[at &+ p &* stride]) * a + b }
            }
        }
    }

    /// The same for float samples (shards written from float arrays).
    public static func planarize(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, samples: Int, pixels: Int,
                                 coef: [(a: Float, b: Float)]) {
        planarize(into: dst, samples: samples, pixels: pixels, coef: coef) { out, at, stride, count, a, b in
            if stride == 1 {
                for p in 0..<count { out[p] = src[at &+ p] * a + b }
            } else {
                for p in 0..<count { out[p] = src[at &+ p &* stride] * a + b }
            }
        }
    }

    /// Sequences [T, F] keep their layout: x[t, f] = v[t, f]·a[f] + b[f], one coefficient
    /// pair per feature, for `count` values.
    public static func normalizeFeatures(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int,
                                         coef: [(a: Float, b: Float)]) {
        let f = coef.count
        for i in 0..<count { dst[i] = src[i] * coef[i % f].a + coef[i % f].b }
    }

    /// Calls `channel(out, at, stride, count, a, b)` once per sample and channel: `count` values
    /// into `out`, from the stored ones at `at`, `at + stride`, … (one sample's channel; with
    /// one channel, every sample at once with a unit stride, which the compiler vectorizes).
    @inline(__always)
    private static func planarize(into dst: UnsafeMutablePointer<Float>, samples: Int, pixels hw: Int, coef: [(a: Float, b: Float)],
                                  channel: (UnsafeMutablePointer<Float>, Int, Int, Int, Float, Float) -> Void) {
        let c = coef.count, size = hw * c
        if c == 1 { return channel(dst, 0, 1, samples * hw, coef[0].a, coef[0].b) }
        for s in 0..<samples {
            for ch in 0..<c { channel(dst + s * size + ch * hw, s * size + ch, c, hw, coef[ch].a, coef[ch].b) }
        }
    }
}

/// A sharded dataset opened for random access: every rank reads through its own handles.
///
/// Opening with `init(manifestPath:)` checks the manifest against every shard — sha256
/// (optional), datasets, shapes, types, sample counts — and loads all labels, checking their
/// range, so a bad file is reported up front with its name instead of as wrong numbers later.
/// `init(manifestPath:labels:)` takes labels read elsewhere (rank 0's, broadcast) and opens
/// each shard only when a read first needs it.
///
/// Immutable: `restricted` returns a new view of the same open files, so the loader thread
/// and the trainer never see a set change under them.
public final class ShardSet: Sendable {
    public let manifest: ShardManifest
    public let manifestPath: String
    /// All labels of the files, in global sample order.
    public let labels: [Int32]
    /// The samples in use (ascending file indices), when restricted to a subset.
    private let selection: [Int]?
    /// Label map of a class subset: file label → label seen by the model (−1: excluded).
    private let relabel: [Int32]?
    /// Number of classes the model sees (the subset's, when restricted to classes).
    public let numClasses: Int
    private let files: ShardFiles
    private let starts: [Int]

    /// Opens and checks every shard of the dataset described by the manifest at `manifestPath`.
    public convenience init(manifestPath: String, verifyChecksums: Bool = true) throws {
        let present = try Self.checkPresent(manifestPath)
        let manifest = present.manifest, paths = present.paths
        var opened: [ShardFile?] = []
        var labels: [Int32] = []
        labels.reserveCapacity(manifest.numSamples)
        for (shard, path) in zip(manifest.shards, paths) {
            if verifyChecksums, let mismatch = try ShardCheck.mismatch(path, expected: shard.sha256) {
                throw DataError(mismatch + "; re-create it with `lockstep shard`")
            }
            let file = try ShardFile.open(path, shard, manifest)
            labels += try file.labels(path, shard, manifest)
            opened.append(file)
        }
        self.init(manifest: manifest, manifestPath: manifestPath, labels: labels, files: ShardFiles(manifest: manifest, paths: paths, opened: opened))
    }

    /// The dataset of the manifest at `manifestPath` with `labels` read elsewhere (rank 0
    /// read and checked them): only the manifest is read now, and that every shard exists
    /// is checked; each shard file is opened (and checked) when a read first needs it.
    public convenience init(manifestPath: String, labels: [Int32]) throws {
        try self.init(Self.checkPresent(manifestPath), labels: labels)
    }

    /// The dataset of a manifest already read and checked by `checkPresent`, with `labels`
    /// read elsewhere; no file is touched until a read needs it.
    public convenience init(_ present: PresentShards, labels: [Int32]) throws {
        let manifest = present.manifest
        guard labels.count == manifest.numSamples else {
            throw DataError("\(present.manifestPath): \(labels.count) labels given for \(manifest.numSamples) samples")
        }
        self.init(manifest: manifest, manifestPath: present.manifestPath, labels: labels,
                  files: ShardFiles(manifest: manifest, paths: present.paths))
    }

    private init(manifest: ShardManifest, manifestPath: String, labels: [Int32], files: ShardFiles) {
        self.manifest = manifest
        self.manifestPath = manifestPath
        self.labels = labels
        self.files = files
        starts = manifest.shards.reduce(into: [0]) { $0.append($0.last! + $1.numSamples) }.dropLast()
        selection = nil
        relabel = nil
        numClasses = manifest.numClasses
    }

    /// A manifest read, and its shards' paths, each seen to exist.
    public struct PresentShards: Sendable {
        public let manifest: ShardManifest
        public let manifestPath: String
        let paths: [String]
    }

    /// Reads the manifest at `manifestPath` and checks that its shards exist (what the other
    /// ranks do while rank 0 opens the shards and reads their labels).
    @discardableResult
    public static func checkPresent(_ manifestPath: String) throws -> PresentShards {
        let manifest = try ShardManifest.load(manifestPath)
        return PresentShards(manifest: manifest, manifestPath: manifestPath, paths: try presentShards(manifest, manifestPath))
    }

    /// The shards' paths, each checked to exist (a stat, not an open).
    private static func presentShards(_ manifest: ShardManifest, _ manifestPath: String) throws -> [String] {
        let dir = (manifestPath as NSString).deletingLastPathComponent
        return try manifest.shards.map { shard in
            let path = dir.isEmpty ? shard.file : dir + "/" + shard.file
            guard FileManager.default.fileExists(atPath: path) else {
                throw DataError("\(path): shard listed in \(manifestPath) is missing")
            }
            return path
        }
    }

    /// A view of `base`'s files (or of `files`) with another subset.
    private init(_ base: ShardSet, selection: [Int]?, relabel: [Int32]?, numClasses: Int, files: ShardFiles? = nil) {
        manifest = base.manifest
        manifestPath = base.manifestPath
        labels = base.labels
        self.files = files ?? base.files
        starts = base.starts
        self.selection = selection
        self.relabel = relabel
        self.numClasses = numClasses
    }

    /// The same samples, with each shard's inputs read whole on first use and then served from
    /// memory (`keep`), or read from the file batch by batch. A shuffled batch reads its
    /// samples one by one, each an HDF5 call; from memory it is a copy.
    public func keepingInputsInMemory(_ keep: Bool) -> ShardSet {
        ShardSet(self, selection: selection, relabel: relabel, numClasses: numClasses, files: files.keepingInputsInMemory(keep))
    }

    /// Reads the inputs of every shard in use into memory now (when they are kept there), so
    /// that the first batches do not wait for them.
    public func loadInputsIntoMemory() throws {
        guard keepsInputsInMemory else { return }
        for shard in shardsInUse { try files.loadIntoMemory(shard) }
    }

    /// The shards that hold samples in use (all of them, unless a subset leaves some out).
    private var shardsInUse: [Int] {
        guard let selection else { return Array(manifest.shards.indices) }
        var used: [Int] = [], shard = 0
        for i in selection {  // ascending
            shard = self.shard(of: i, from: shard)
            if used.last != shard { used.append(shard) }
        }
        return used
    }

    /// Whether the inputs are kept in memory.
    public var keepsInputsInMemory: Bool { files.keepsInputsInMemory }

    /// Bytes of the stored inputs of the shards in use (what keeping them in memory takes).
    public var storedInputBytes: Int { shardsInUse.reduce(0) { $0 + manifest.shards[$1].numSamples } * files.sampleBytes }

    /// Shard files open in this process (all of them after `init(manifestPath:)`).
    public var openShardCount: Int { files.openCount }

    /// Number of samples in use.
    public var count: Int { selection?.count ?? labels.count }

    /// This set restricted to samples of `classes` (relabelled 0..<classes.count in the order
    /// given) and then to `limit` of them, drawn by a seeded shuffle; indices seen by samplers
    /// and `read` are positions in this subset. Call on the whole set.
    public func restricted(classes: [Int]?, limit: Int?, seed: UInt64) throws -> ShardSet {
        precondition(selection == nil, "restrict the whole set, not a subset")
        var keep = Array(0..<labels.count)
        var relabel: [Int32]?
        if let classes {
            guard !classes.isEmpty, Set(classes).count == classes.count, classes.allSatisfy({ $0 >= 0 && $0 < manifest.numClasses }) else {
                throw DataError("\(manifestPath): data.classes \(classes) must be distinct labels in 0..<\(manifest.numClasses)")
            }
            var map = [Int32](repeating: -1, count: manifest.numClasses)
            for (i, c) in classes.enumerated() { map[c] = Int32(i) }
            relabel = map
            keep = keep.filter { map[Int(labels[$0])] >= 0 }
        }
        if let limit, limit < keep.count {
            guard limit > 0 else { throw DataError("\(manifestPath): data.limit must be positive, got \(limit)") }
            var rng = CounterRNG(seed: seed, streams: 0x5E1EC7)
            for i in stride(from: keep.count - 1, to: 0, by: -1) { keep.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            keep = Array(keep.prefix(limit)).sorted()
        }
        return ShardSet(self, selection: keep, relabel: relabel, numClasses: classes?.count ?? manifest.numClasses)
    }

    /// Class names in model-side label order (the manifest's, or the label numbers).
    public var classNames: [String] {
        let names = (0..<manifest.numClasses).map(manifest.className)
        guard let relabel else { return names }
        var ordered = [String](repeating: "", count: numClasses)
        for (file, model) in relabel.enumerated() where model >= 0 { ordered[Int(model)] = names[file] }
        return ordered
    }

    /// The model-side label of subset sample `i`.
    public func label(_ i: Int) -> Int32 {
        let l = labels[selection?[i] ?? i]
        return relabel.map { $0[Int(l)] } ?? l
    }

    /// Per-sample shape as the model sees it ([C, H, W] or [D]).
    public var sampleShape: [Int] { manifest.modelInputShape }

    /// Channels of the stored samples: an image's, a sequence's features (each normalized with
    /// its own mean and std when the recipe gives one per feature), 1 for features and tokens.
    public var storedChannels: Int {
        switch manifest.input {
        case .images: manifest.sampleShape[2]
        case .sequences: manifest.sampleShape[1]
        case .features, .tokens: 1
        }
    }

    /// Floats per sample.
    public var sampleSize: Int { manifest.sampleShape.reduce(1, *) }

    /// The real steps of samples `indices` (ascending) of padded sequences, each in 1…T; nil when
    /// the shards hold no `/lengths`.
    public func lengths(_ indices: [Int]) throws -> [Int]? {
        guard manifest.lengths == true else { return nil }
        var out: [Int] = []
        out.reserveCapacity(indices.count)
        var shard = 0
        for i in fileIndices(indices) {
            shard = self.shard(of: i, from: shard)
            guard let values = try files.lengths(shard) else { return nil }
            out.append(Int(values[i - starts[shard]]))
        }
        return out
    }

    /// The shard holding file index `i`, searched from shard `start` on (indices walked in
    /// ascending order pass their last shard back in).
    private func shard(of i: Int, from start: Int) -> Int {
        var shard = start
        while shard + 1 < starts.count && starts[shard + 1] <= i { shard += 1 }
        return shard
    }

    /// The file (whole-dataset) indices of subset samples `indices`.
    private func fileIndices(_ indices: [Int]) -> [Int] { selection.map { sel in indices.map { sel[$0] } } ?? indices }

    /// File indices `indices` (ascending) as runs of consecutive samples within one shard:
    /// where in the batch each starts, its shard, and its rows there.
    private func contiguousRuns(_ indices: [Int]) -> [(position: Int, shard: Int, rows: Range<Int>)] {
        var runs: [(position: Int, shard: Int, rows: Range<Int>)] = []
        var i = 0, shard = 0
        while i < indices.count {
            let first = indices[i]
            precondition(first >= 0 && first < labels.count && (i == 0 || first > indices[i - 1]), "sample indices must be ascending and in range")
            shard = self.shard(of: first, from: shard)
            let shardEnd = shard + 1 < starts.count ? starts[shard + 1] : labels.count
            var j = i + 1
            while j < indices.count && indices[j] == indices[j - 1] + 1 && indices[j] < shardEnd { j += 1 }
            runs.append((i, shard, (first - starts[shard])..<(first - starts[shard] + j - i)))
            i = j
        }
        return runs
    }

    /// Reads samples `indices` (ascending) into `out` as normalized Float, NCHW, and returns their labels.
    public func read(_ indices: [Int], into out: UnsafeMutablePointer<Float>, normalization: Normalization) throws -> [Int32] {
        let subsetIndices = indices
        let indices = fileIndices(indices)
        let size = sampleSize
        // Token ids are read as they are: normalizing them would make them other ids.
        let coef = manifest.input == .tokens ? [(a: Float(1), b: Float(0))]
            : try normalization.coefficients(channels: storedChannels, bytes: manifest.dtype == "uint8")
        let staging = StagingBuffer()
        defer { withExtendedLifetime(staging) {} }  // `stored` may point into it until the loop ends
        let bytes = manifest.dtype == "uint8"
        let runs = contiguousRuns(indices), sampleBytes = files.sampleBytes
        // Samples kept in memory are read in place, and hinted to the CPU a few runs ahead of
        // their conversion (they are scattered: each would otherwise wait for memory).
        let resident = files.inputsInMemory()
        func inMemory(_ k: Int) -> UnsafeRawPointer? {
            resident?[runs[k].shard].map { UnsafeRawPointer($0.base + runs[k].rows.lowerBound * sampleBytes) }
        }
        let ahead = 4
        for k in 0..<min(ahead, runs.count) { inMemory(k).map { lockstep_prefetch($0, UInt(runs[k].rows.count * sampleBytes)) } }
        for (k, run) in runs.enumerated() {
            if k + ahead < runs.count, let next = inMemory(k + ahead) { lockstep_prefetch(next, UInt(runs[k + ahead].rows.count * sampleBytes)) }
            let stored: UnsafeRawPointer
            do {
                stored = try inMemory(k) ?? files.rows(run.shard, run.rows, staging: staging)
            } catch let e as HDF5Error {
                throw DataError("\(files.paths[run.shard]): reading samples \(run.rows) failed: \(e.detail)")
            }
            let dst = out + run.position * size, n = run.rows.count
            if bytes {
                Normalization.planarize(stored.assumingMemoryBound(to: UInt8.self), into: dst, samples: n, pixels: size / coef.count, coef: coef)
            } else if manifest.input == .sequences {
                Normalization.normalizeFeatures(stored.assumingMemoryBound(to: Float.self), into: dst, count: n * size, coef: coef)
            } else {
                Normalization.planarize(stored.assumingMemoryBound(to: Float.self), into: dst, samples: n, pixels: size / coef.count, coef: coef)
            }
        }
        return subsetIndices.map(label)
    }
}
