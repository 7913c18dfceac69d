import Foundation
import LockstepTensor

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

extension DatasetConverter {
    /// CIFAR-10's class names, in label order (batches.meta.txt).
    public static let cifar10Classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// Shards CIFAR-10's binary version (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`,
    /// in DIR or DIR/cifar-10-batches-bin): records of a label byte and 3 × 1024 bytes of R, G
    /// and B planes, 32 × 32. Writes NAME-train and NAME-test as 32×32×3 images.
    public static func cifar10(source: String, output: String, name: String, shards: Int) throws -> [String] {
        let dir = FileManager.default.fileExists(atPath: source + "/cifar-10-batches-bin/test_batch.bin") ? source + "/cifar-10-batches-bin" : source
        var written: [String] = []
        for (split, files) in [("train", (1...5).map { "data_batch_\($0).bin" }), ("test", ["test_batch.bin"])] {
            var images: [UInt8] = [], labels: [Int32] = []
            for file in files {
                let path = dir + "/" + file
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw DataError("\(path): not found (expected CIFAR-10's binary version, cifar-10-binary.tar.gz, unpacked)")
                }
                let record = 1 + 3 * 1024
                guard data.count > 0 && data.count % record == 0 else {
                    throw DataError("\(path): \(data.count) bytes is not a whole number of \(record)-byte records (damaged, or not the binary version)")
                }
                let bytes = [UInt8](data)
                for r in 0..<(bytes.count / record) {
                    let base = r * record
                    guard bytes[base] < 10 else { throw DataError("\(path): record \(r) has label \(bytes[base]), CIFAR-10 has 0…9") }
                    labels.append(Int32(bytes[base]))
                    for p in 0..<1024 { for c in 0..<3 { images.append(bytes[base + 1 + c * 1024 + p]) } }
                }
            }
            let writer = ShardWriter(directory: output, name: "\(name)-\(split)", shards: shards)
            try writer.write(images: images, sampleShape: [32, 32, 3], labels: labels, numClasses: 10, labelNames: cifar10Classes)
            written.append(writer.manifestPath)
        }
        return written
    }
}
