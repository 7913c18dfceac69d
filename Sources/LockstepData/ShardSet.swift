import Foundation
import LockstepHDF5

/// Per-channel input normalization: x = (v · scale − mean[c]) / std[c].
public struct Normalization: Sendable, Equatable {
    /// Applied first (1/255 turns bytes into [0, 1]).
    public var scale: Float
    /// Per-channel means (one value applies to all channels).
    public var mean: [Float]
    /// Per-channel standard deviations.
    public var std: [Float]

    public init(scale: Float = 1, mean: [Float] = [0], std: [Float] = [1]) {
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    /// Bytes to [0, 1].
    public static let unitRange = Normalization(scale: 1 / 255)

    /// Per-channel (a, b) with x = v·a + b.
    func coefficients(channels: Int) throws -> [(a: Float, b: Float)] {
        guard mean.count == 1 || mean.count == channels, std.count == 1 || std.count == channels else {
            throw DataError("normalize: mean has \(mean.count) and std \(std.count) values; the data has \(channels) channels (give 1 or \(channels))")
        }
        return (0..<channels).map { c in
            let m = mean.count == 1 ? mean[0] : mean[c], s = std.count == 1 ? std[0] : std[c]
            return (scale / s, -m / s)
        }
    }
}

/// A sharded dataset opened for random access: every rank opens its own read-only handles.
///
/// Opening checks the manifest against every shard — sha256 (optional), datasets, shapes,
/// types, sample counts — and loads all labels, checking their range, so a bad file is
/// reported up front with its name instead of as wrong numbers later.
public final class ShardSet: @unchecked Sendable {
    public let manifest: ShardManifest
    public let manifestPath: String
    /// All labels, in global sample order.
    public let labels: [Int32]
    private let files: [HDF5File]
    private let inputs: [HDF5Dataset]
    private let starts: [Int]
    private let paths: [String]

    /// Opens the dataset described by the manifest at `manifestPath`.
    public init(manifestPath: String, verifyChecksums: Bool = true) throws {
        let manifest = try ShardManifest.load(manifestPath)
        let dir = (manifestPath as NSString).deletingLastPathComponent
        var files: [HDF5File] = [], inputs: [HDF5Dataset] = [], starts: [Int] = [], paths: [String] = []
        var labels: [Int32] = []
        labels.reserveCapacity(manifest.numSamples)
        for shard in manifest.shards {
            let path = dir.isEmpty ? shard.file : dir + "/" + shard.file
            guard FileManager.default.fileExists(atPath: path) else {
                throw DataError("\(path): shard listed in \(manifestPath) is missing")
            }
            if verifyChecksums {
                let digest = try FileDigest.sha256(path)
                guard digest == shard.sha256 else {
                    throw DataError("\(path): sha256 mismatch (manifest \(shard.sha256.prefix(16))…, file \(digest.prefix(16))…): the shard is corrupted or was replaced; re-create it with `lockstep shard`")
                }
            }
            let f: HDF5File
            do { f = try HDF5File.open(path) } catch let e as HDF5Error { throw DataError(e.description) }
            let expected = [shard.numSamples] + manifest.sampleShape
            let input = try Self.open(f, manifest.inputDataset, path: path)
            guard input.shape == expected else {
                throw DataError("\(path): /\(manifest.inputDataset) has shape \(input.shape), expected \(expected) from the manifest")
            }
            let wantType: HDF5ElementType = manifest.dtype == "uint8" ? .int(bits: 8, signed: false) : .float(bits: 32)
            guard input.elementType == wantType else {
                throw DataError("\(path): /\(manifest.inputDataset) stores \(input.elementType), expected \(manifest.dtype)")
            }
            let labelSet = try Self.open(f, "labels", path: path)
            guard labelSet.shape == [shard.numSamples], case .int = labelSet.elementType else {
                throw DataError("\(path): /labels is \(labelSet.elementType) \(labelSet.shape), expected integer [\(shard.numSamples)]")
            }
            let shardLabels: [Int32] = try labelSet.read()
            if let bad = shardLabels.firstIndex(where: { $0 < 0 || Int($0) >= manifest.numClasses }) {
                throw DataError("\(path): label \(shardLabels[bad]) of sample \(bad) is outside 0..<\(manifest.numClasses) (num_classes in the manifest)")
            }
            starts.append(labels.count)
            labels.append(contentsOf: shardLabels)
            files.append(f)
            inputs.append(input)
            paths.append(path)
        }
        self.manifest = manifest
        self.manifestPath = manifestPath
        self.labels = labels
        self.files = files
        self.inputs = inputs
        self.starts = starts
        self.paths = paths
    }

    private static func open(_ f: HDF5File, _ name: String, path: String) throws -> HDF5Dataset {
        do { return try f.dataset(name) } catch let e as HDF5Error {
            throw DataError("\(path): dataset /\(name) expected by the manifest: \(e.message)")
        }
    }

    /// Number of samples.
    public var count: Int { labels.count }

    /// Per-sample shape as the model sees it ([C, H, W] or [D]).
    public var sampleShape: [Int] { manifest.modelInputShape }

    /// Floats per sample.
    public var sampleSize: Int { manifest.sampleShape.reduce(1, *) }

    /// Reads samples `indices` (ascending) into `out` as normalized Float, NCHW, and returns their labels.
    public func read(_ indices: [Int], into out: UnsafeMutablePointer<Float>, normalization: Normalization) throws -> [Int32] {
        let size = sampleSize
        let channels = manifest.sampleShape.count == 3 ? manifest.sampleShape[2] : 1
        let coef = try normalization.coefficients(channels: channels)
        var staging8: [UInt8] = []
        var stagingF: [Float] = []
        var i = 0
        var shard = 0
        while i < indices.count {
            let first = indices[i]
            precondition(first >= 0 && first < count && (i == 0 || first > indices[i - 1]), "sample indices must be ascending and in range")
            while shard + 1 < starts.count && starts[shard + 1] <= first { shard += 1 }
            let shardEnd = shard + 1 < starts.count ? starts[shard + 1] : count
            var j = i + 1
            while j < indices.count && indices[j] == indices[j - 1] + 1 && indices[j] < shardEnd { j += 1 }
            let rows = (first - starts[shard])..<(first - starts[shard] + j - i)
            let dst = out + i * size
            do {
                if manifest.dtype == "uint8" {
                    if staging8.count < rows.count * size { staging8 = [UInt8](repeating: 0, count: rows.count * size) }
                    try staging8.withUnsafeMutableBufferPointer { try inputs[shard].read(rows: rows, into: $0.baseAddress!) }
                    staging8.withUnsafeBufferPointer { src in convert(src.baseAddress!, dst, samples: rows.count, coef: coef) }
                } else {
                    if stagingF.count < rows.count * size { stagingF = [Float](repeating: 0, count: rows.count * size) }
                    try stagingF.withUnsafeMutableBufferPointer { try inputs[shard].read(rows: rows, into: $0.baseAddress!) }
                    stagingF.withUnsafeBufferPointer { src in convert(src.baseAddress!, dst, samples: rows.count, coef: coef) }
                }
            } catch let e as HDF5Error {
                throw DataError("\(paths[shard]): reading samples \(rows) failed: \(e.message)\(e.reason.isEmpty ? "" : " (HDF5: \(e.reason))")")
            }
            i = j
        }
        return indices.map { labels[$0] }
    }

    /// HWC samples → CHW floats, x = v·a[c] + b[c].
    private func convert<T: BinaryInteger>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<Float>, samples: Int,
                                           coef: [(a: Float, b: Float)]) {
        convertGeneric(samples: samples, coef: coef) { Float(src[$0]) } store: { dst[$0] = $1 }
    }

    private func convert(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, samples: Int, coef: [(a: Float, b: Float)]) {
        convertGeneric(samples: samples, coef: coef) { src[$0] } store: { dst[$0] = $1 }
    }

    @inline(__always)
    private func convertGeneric(samples: Int, coef: [(a: Float, b: Float)], load: (Int) -> Float, store: (Int, Float) -> Void) {
        let size = sampleSize
        let c = coef.count, hw = size / c
        for s in 0..<samples {
            let base = s * size
            for ch in 0..<c {
                let (a, b) = coef[ch]
                for p in 0..<hw { store(base + ch * hw + p, load(base + p * c + ch) * a + b) }
            }
        }
    }
}
