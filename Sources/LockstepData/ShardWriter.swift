import Foundation
import LockstepHDF5
import LockstepTensor

/// Writes a labelled dataset as `NAME-0000k-of-0000n.h5` shards plus `NAME.manifest.json`.
///
/// Each shard holds `/images` uint8 [n, H, W, C] (chunked `samplesPerChunk` samples per chunk)
/// and `/labels` int32 [n], with root attributes format, version, num_samples, layout, name,
/// shard_index, num_shards. Samples are split into contiguous, nearly equal ranges.
public struct ShardWriter {
    /// Directory the files go to (created if needed).
    public var directory: String
    /// Dataset name, the files' common prefix.
    public var name: String
    /// Number of shard files.
    public var shards: Int
    /// Samples per HDF5 chunk (a few samples, so random minibatch reads touch little extra).
    public var samplesPerChunk = 64

    public init(directory: String, name: String, shards: Int) {
        self.directory = directory
        self.name = name
        self.shards = shards
    }

    /// The file name of shard `index`.
    public func shardFileName(_ index: Int) -> String {
        String(format: "%@-%05d-of-%05d.h5", name, index, shards)
    }

    /// Path of the manifest.
    public var manifestPath: String { directory + "/" + name + ".manifest.json" }

    /// Writes uint8 images `[N, H, W, C]` (`images.count == N·H·W·C`) and their labels, cut
    /// into contiguous, nearly equal ranges.
    @discardableResult
    public func write(images: [UInt8], sampleShape: [Int], labels: [Int32], numClasses: Int,
                      labelNames: [String] = []) throws -> ShardManifest {
        let n = labels.count
        let sampleSize = sampleShape.reduce(1, *)
        guard sampleShape.count == 3, images.count == n * sampleSize else {
            throw DataError("\(name): \(images.count) image bytes for \(n) labels of shape \(sampleShape)")
        }
        guard shards >= 1, shards <= max(n, 1) else { throw DataError("\(name): cannot cut \(n) samples into \(shards) shards") }
        return try write(sampleShape: sampleShape, numClasses: numClasses, labelNames: labelNames) { s in
            let range = Self.range(of: s, shards: shards, samples: n)
            return (Array(images[(range.lowerBound * sampleSize)..<(range.upperBound * sampleSize)]), Array(labels[range]))
        }
    }

    /// Samples of shard `s` when `samples` are cut into `shards` contiguous, nearly equal ranges.
    public static func range(of s: Int, shards: Int, samples: Int) -> Range<Int> {
        (s * samples / shards)..<((s + 1) * samples / shards)
    }

    /// Writes the shards one at a time: `produce(s)` gives shard s's samples (`[n] + sampleShape`
    /// values, uint8 or float32) and labels, so only one shard is in memory. Shards may hold
    /// different numbers of samples (an image that could not be read is left out of its shard).
    /// `sampleShape` is [H, W, C] (an image dataset, NHWC), [T, F] (sequences), or [D] (features;
    /// token ids [T] when `tokens`).
    @discardableResult
    /// `lengths(s)`, when given, is shard s's sequence lengths (1…T each; steps after a
    /// sequence's length are padding), written as `/lengths`.
    public func write<T: HDF5Scalar>(sampleShape: [Int], numClasses: Int, labelNames: [String] = [], tokens: Bool = false,
                                     lengths: ((Int) throws -> [Int32])? = nil,
                                     produce: (Int) throws -> (values: [T], labels: [Int32])) throws -> ShardManifest {
        guard let dtype = Self.dtype(T.self), let kind = ShardInput.of(sampleShape, tokens: tokens),
              dtype == "float32" || kind == .images else {
            throw DataError("\(name): shards hold uint8 or float32 images [H, W, C], or float32 sequences [T, F], features [D] or tokens [T], not \(T.self) \(sampleShape)")
        }
        guard shards >= 1 else { throw DataError("\(name): needs at least one shard, got \(shards)") }
        let sampleSize = sampleShape.reduce(1, *)
        let input = kind.rawValue
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var entries: [ShardManifest.Shard] = []
        for s in 0..<shards {
            let (values, labels) = try produce(s)
            let n = labels.count
            guard values.count == n * sampleSize else {
                throw DataError("\(name): shard \(s) got \(values.count) values for \(n) samples of shape \(sampleShape)")
            }
            if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= numClasses }) {
                throw DataError("\(name): label \(labels[bad]) of shard \(s)'s sample \(bad) is outside 0..<\(numClasses)")
            }
            let shardLengths = try lengths?(s)
            if let shardLengths {
                guard kind == .sequences || kind == .tokens, shardLengths.count == n else {
                    throw DataError("\(name): shard \(s) got \(shardLengths.count) lengths for \(n) \(kind.rawValue) (lengths are for sequences and tokens)")
                }
                if let bad = shardLengths.firstIndex(where: { $0 < 1 || Int($0) > sampleShape[0] }) {
                    throw DataError("\(name): length \(shardLengths[bad]) of shard \(s)'s sample \(bad) is outside 1...\(sampleShape[0]) (the steps stored)")
                }
            }
            let file = shardFileName(s)
            let path = directory + "/" + file
            try HDF5File.writeAtomically(to: path) { f in
                try f.setAttribute("format", "lockstep-shard")
                try f.setAttribute("version", 1)
                try f.setAttribute("num_samples", n)
                try f.setAttribute("layout", kind.layout)
                try f.setAttribute("name", name)
                try f.setAttribute("shard_index", s)
                try f.setAttribute("num_shards", shards)
                let d = try f.createDataset(input, of: T.self, shape: [n] + sampleShape,
                                            chunk: [min(samplesPerChunk, max(n, 1))] + sampleShape)
                try values.withUnsafeBufferPointer { try d.write($0) }
                try f.write("labels", labels, shape: [n])
                if let shardLengths { try f.write("lengths", shardLengths, shape: [n]) }
            }
            entries.append(.init(file: file, numSamples: n, sha256: try FileDigest.sha256(path)))
        }
        let total = entries.reduce(0) { $0 + $1.numSamples }
        guard total > 0 else { throw DataError("\(name): no samples to write") }
        let manifest = ShardManifest(name: name, numSamples: total, inputDataset: input, dtype: dtype, sampleShape: sampleShape,
                                     layout: kind.layout, numClasses: numClasses, labelNames: labelNames,
                                     shards: entries, lengths: lengths == nil ? nil : true)
        try manifest.write(to: manifestPath)
        return manifest
    }

    private static func dtype<T>(_ type: T.Type) -> String? {
        if T.self == UInt8.self { return "uint8" }
        if T.self == Float.self { return "float32" }
        return nil
    }
}
