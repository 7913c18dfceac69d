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

    /// Writes uint8 images `[N, H, W, C]` (`images.count == N·H·W·C`) and their labels.
    @discardableResult
    public func write(images: [UInt8], sampleShape: [Int], labels: [Int32], numClasses: Int,
                      labelNames: [String] = []) throws -> ShardManifest {
        let n = labels.count
        let sampleSize = sampleShape.reduce(1, *)
        guard sampleShape.count == 3, images.count == n * sampleSize else {
            throw DataError("\(name): \(images.count) image bytes for \(n) labels of shape \(sampleShape)")
        }
        guard shards >= 1, shards <= max(n, 1) else { throw DataError("\(name): cannot cut \(n) samples into \(shards) shards") }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= numClasses }) {
            throw DataError("\(name): label \(labels[bad]) of sample \(bad) is outside 0..<\(numClasses)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var entries: [ShardManifest.Shard] = []
        for s in 0..<shards {
            let lo = s * n / shards, hi = (s + 1) * n / shards
            let file = shardFileName(s)
            let path = directory + "/" + file
            try HDF5File.writeAtomically(to: path) { f in
                try f.setAttribute("format", "lockstep-shard")
                try f.setAttribute("version", 1)
                try f.setAttribute("num_samples", hi - lo)
                try f.setAttribute("layout", "NHWC")
                try f.setAttribute("name", name)
                try f.setAttribute("shard_index", s)
                try f.setAttribute("num_shards", shards)
                let d = try f.createDataset("images", of: UInt8.self, shape: [hi - lo] + sampleShape,
                                            chunk: [min(samplesPerChunk, max(hi - lo, 1))] + sampleShape)
                try images.withUnsafeBufferPointer { try d.write(UnsafeBufferPointer(rebasing: $0[(lo * sampleSize)..<(hi * sampleSize)])) }
                try f.write("labels", Array(labels[lo..<hi]), shape: [hi - lo])
            }
            entries.append(.init(file: file, numSamples: hi - lo, sha256: try FileDigest.sha256(path)))
        }
        let manifest = ShardManifest(name: name, numSamples: n, inputDataset: "images", dtype: "uint8", sampleShape: sampleShape,
                                     layout: "NHWC", numClasses: numClasses, labelNames: labelNames, shards: entries)
        try manifest.write(to: manifestPath)
        return manifest
    }
}

/// Converters from published dataset formats to shards.
public enum DatasetConverter {
    /// Fashion-MNIST's class names, in label order.
    public static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Shards an MNIST-format directory (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`,
    /// `t10k-…`) into `NAME-train` and `NAME-test`. Returns the two manifests' paths.
    public static func mnistFormat(source: String, output: String, name: String, shards: Int,
                                   labelNames: [String]) throws -> [String] {
        var written: [String] = []
        for (split, prefix) in [("train", "train"), ("test", "t10k")] {
            let images = try locate(source, "\(prefix)-images-idx3-ubyte")
            let labels = try locate(source, "\(prefix)-labels-idx1-ubyte")
            let (idims, ibytes) = try IDXReader.read(images)
            let (ldims, lbytes) = try IDXReader.read(labels)
            guard idims.count == 3, ldims.count == 1, idims[0] == ldims[0] else {
                throw DataError("\(images), \(labels): image dims \(idims) and label dims \(ldims) do not match ([N, H, W] and [N])")
            }
            let writer = ShardWriter(directory: output, name: "\(name)-\(split)", shards: shards)
            try writer.write(images: ibytes, sampleShape: [idims[1], idims[2], 1], labels: lbytes.map { Int32($0) },
                             numClasses: max(labelNames.count, Int(lbytes.max() ?? 0) + 1), labelNames: labelNames)
            written.append(writer.manifestPath)
        }
        return written
    }

    /// A learnable synthetic image dataset: class c's images are a fixed random template
    /// (drawn from the seed) blended 60/40 with per-sample noise. For tests and benchmarks
    /// that need image-shaped data of any size without downloads. Writes NAME-train and NAME-test.
    public static func synthetic(output: String, name: String, shards: Int, sampleShape: [Int], classes: Int,
                                 trainSamples: Int, testSamples: Int, seed: UInt64) throws -> [String] {
        guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }), classes > 0 else {
            throw DataError("synthetic: needs an image shape H×W×C and classes > 0, got \(sampleShape) and \(classes)")
        }
        let size = sampleShape.reduce(1, *)
        let templates: [[Float]] = (0..<classes).map { c in
            var rng = CounterRNG(seed: seed, streams: 0x7E3, UInt64(c))
            return (0..<size).map { _ in rng.nextUniform() * 255 }
        }
        var written: [String] = []
        for (split, count, stream) in [("train", trainSamples, UInt64(1)), ("test", testSamples, UInt64(2))] {
            var rng = CounterRNG(seed: seed, streams: 0x5A4, stream)
            var images = [UInt8](repeating: 0, count: count * size)
            var labels = [Int32](repeating: 0, count: count)
            for i in 0..<count {
                let c = Int(rng.next() % UInt64(classes))
                labels[i] = Int32(c)
                for p in 0..<size { images[i * size + p] = UInt8(0.6 * templates[c][p] + 0.4 * rng.nextUniform() * 255) }
            }
            let writer = ShardWriter(directory: output, name: "\(name)-\(split)", shards: min(shards, max(count, 1)))
            try writer.write(images: images, sampleShape: sampleShape, labels: labels, numClasses: classes,
                             labelNames: (0..<classes).map { "class \($0)" })
            written.append(writer.manifestPath)
        }
        return written
    }

    /// `dir/base.gz` or `dir/base`, whichever exists.
    public static func locate(_ dir: String, _ base: String) throws -> String {
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: dir + "/" + candidate) {
            return dir + "/" + candidate
        }
        throw DataError("\(dir): neither \(base).gz nor \(base) found (is the dataset installed? apt-get install dataset-fashion-mnist)")
    }
}
