import ArgumentParser
import Foundation
import LockstepData

/// `lockstep shard FORMAT …`: a dataset into HDF5 shards plus a JSON manifest per split.
struct Shard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a dataset into HDF5 shards plus a JSON manifest per split.",
        discussion: """
            Writes NAME-train-0000k-of-0000n.h5, NAME-test-…, NAME-train.manifest.json and \
            NAME-test.manifest.json (the shard layout is described in docs/data.md).
            """,
        subcommands: [FashionMNIST.self, MNIST.self, Images.self, CIFAR10.self, Arrays.self, Synthetic.self, SequenceTaskCommand.self])

    /// Options every format has.
    struct Output: ParsableArguments {
        @Option(name: .customLong("out"), help: "Directory for the shards and manifests.")
        var directory: String = "data"

        @Option(help: "Number of shards per split.")
        var shards: Int = 4

        @Option(help: "Dataset name, the files' prefix (default: the format, or the folder's name).")
        var name: String?

        func validate() throws {
            guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards)") }
        }
    }

    /// Runs a conversion, printing the manifests written, or the error and exit 1.
    static func convert(_ body: () throws -> [String]) throws {
        do {
            for m in try body() { print("wrote \(m)") }
        } catch {
            print("lockstep shard: error: \(error)")
            throw ExitCode(1)
        }
    }

    /// A --val-fraction value checked.
    static func fraction(_ value: Double) throws -> Double {
        guard value >= 0 && value < 1 else { throw ValidationError("--val-fraction must be in [0, 1), got \(value)") }
        return value
    }
}

extension Shard {
    struct FashionMNIST: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fashion-mnist",
                                                        abstract: "Fashion-MNIST's IDX files (gzipped or not).")
        @Option(help: "Directory holding the IDX files.")
        var source: String = "/usr/share/datasets/fashion-mnist"
        @OptionGroup var output: Output

        func run() throws {
            try Shard.convert {
                try DatasetConverter.mnistFormat(source: source, output: output.directory, name: output.name ?? "fashion-mnist",
                                                 shards: output.shards, labelNames: DatasetConverter.fashionMNISTClasses)
            }
        }
    }

    struct MNIST: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mnist", abstract: "MNIST's IDX files (gzipped or not).")
        @Option(help: "Directory holding the IDX files.")
        var source: String
        @OptionGroup var output: Output

        func run() throws {
            try Shard.convert {
                try DatasetConverter.mnistFormat(source: source, output: output.directory, name: output.name ?? "mnist",
                                                 shards: output.shards, labelNames: (0..<10).map(String.init))
            }
        }
    }

    struct CIFAR10: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cifar10", abstract: "CIFAR-10's binary version (data_batch_1.bin … test_batch.bin).")
        @Option(help: "Directory holding the .bin batches (or cifar-10-batches-bin/ of them).")
        var source: String
        @OptionGroup var output: Output

        func run() throws {
            try Shard.convert {
                try DatasetConverter.cifar10(source: source, output: output.directory, name: output.name ?? "cifar10", shards: output.shards)
            }
        }
    }

    struct Synthetic: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Class templates plus noise, of any shape, for tests and benchmarks without downloads.")
        @Option(help: "Image shape HxWxC.")
        var shape: String = "32x32x3"
        @Option(help: "Number of classes.")
        var classes: Int = 10
        @Option(name: .customLong("train-samples"), help: "Training samples.")
        var trainSamples: Int = 1024
        @Option(name: .customLong("test-samples"), help: "Test samples.")
        var testSamples: Int = 256
        @Option(help: "Seed.")
        var seed: UInt64 = 1
        @OptionGroup var output: Output

        func validate() throws {
            guard parsedShape != nil else { throw ValidationError("--shape must be HxWxC with positive sizes, got \(shape)") }
        }

        private var parsedShape: [Int]? {
            let parts = shape.split(separator: "x").compactMap { Int($0) }
            return parts.count == 3 && parts.allSatisfy { $0 > 0 } ? parts : nil
        }

        func run() throws {
            try Shard.convert {
                try DatasetConverter.synthetic(output: output.directory, name: output.name ?? "synthetic", shards: output.shards,
                                               sampleShape: parsedShape!, classes: classes, trainSamples: trainSamples,
                                               testSamples: testSamples, seed: seed)
            }
        }
    }
}
