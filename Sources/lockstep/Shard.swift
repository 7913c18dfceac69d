import ArgumentParser
import LockstepData

/// `lockstep shard fashion-mnist --source DIR --out DIR --shards N`.
struct Shard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a published dataset into HDF5 shards plus a JSON manifest.",
        discussion: """
            Formats: fashion-mnist and mnist (the IDX files, gzipped or not), and synthetic
            (class templates plus noise, of any --shape, for tests and benchmarks). Writes
            NAME-train-0000k-of-0000n.h5, NAME-test-…, NAME-train.manifest.json and NAME-test.manifest.json.
            """)

    @Argument(help: "Dataset format: fashion-mnist, mnist or synthetic.")
    var format: String

    @Option(help: "Directory holding the source files (fashion-mnist, mnist).")
    var source: String = "/usr/share/datasets/fashion-mnist"

    @Option(name: .customLong("out"), help: "Directory for the shards and manifests.")
    var output: String = "data"

    @Option(help: "Number of shards per split.")
    var shards: Int = 4

    @Option(help: "Dataset name (default: the format).")
    var name: String?

    @Option(help: "synthetic: image shape HxWxC.")
    var shape: String = "32x32x3"

    @Option(help: "synthetic: number of classes.")
    var classes: Int = 10

    @Option(name: .customLong("train-samples"), help: "synthetic: training samples.")
    var trainSamples: Int = 1024

    @Option(name: .customLong("test-samples"), help: "synthetic: test samples.")
    var testSamples: Int = 256

    @Option(help: "synthetic: seed.")
    var seed: UInt64 = 1

    func validate() throws {
        guard ["fashion-mnist", "mnist", "synthetic"].contains(format) else {
            throw ValidationError("unknown format \"\(format)\"; known: fashion-mnist, mnist, synthetic")
        }
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards)") }
        guard parsedShape?.count == 3 else { throw ValidationError("--shape must be HxWxC with positive sizes, got \(shape)") }
    }

    private var parsedShape: [Int]? {
        let parts = shape.split(separator: "x").compactMap { Int($0) }
        return parts.count == 3 && parts.allSatisfy { $0 > 0 } ? parts : nil
    }

    func run() throws {
        do {
            let written: [String]
            if format == "synthetic" {
                written = try DatasetConverter.synthetic(output: output, name: name ?? format, shards: shards, sampleShape: parsedShape!,
                                                         classes: classes, trainSamples: trainSamples, testSamples: testSamples, seed: seed)
            } else {
                let names = format == "fashion-mnist" ? DatasetConverter.fashionMNISTClasses : (0..<10).map(String.init)
                written = try DatasetConverter.mnistFormat(source: source, output: output, name: name ?? format, shards: shards,
                                                           labelNames: names)
            }
            for m in written { print("wrote \(m)") }
        } catch {
            print("lockstep shard: error: \(error)")
            throw ExitCode(1)
        }
    }
}
