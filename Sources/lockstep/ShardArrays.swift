import ArgumentParser
import LockstepData

extension Shard {
    /// `lockstep shard arrays --inputs X --labels Y`: arrays from NumPy or HDF5 files.
    struct Arrays: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Arrays of inputs and labels from .npy files, .npz archives (FILE.npz:ARRAY) or HDF5 datasets (FILE.h5:DATASET).",
            discussion: """
                Inputs [N, H, W, C] or [N, H, W] become images (uint8 kept as bytes, other types \
                float32), [N, D] features; with --sequences [N, T, F] (or [N, T]) are sequences of T steps, \
                with --tokens [N, T] are token ids. Labels are [N] class ids or [N, K] one-hot rows. Without \
                --test-inputs/--test-labels, --val-fraction of the samples (a seeded choice) is the test split. \
                .npy arrays may be in either byte order and in C or Fortran order, as numpy writes them.
                """)

        @Option(help: "The inputs: x.npy, data.npz:x or data.h5:/x.")
        var inputs: String

        @Option(help: "The labels: y.npy, data.npz:y or data.h5:/y.")
        var labels: String

        @Option(name: .customLong("test-inputs"), help: "Test inputs (else --val-fraction of the inputs).")
        var testInputs: String?

        @Option(name: .customLong("test-labels"), help: "Test labels.")
        var testLabels: String?

        @Flag(name: .customLong("channels-first"), help: "Inputs are [N, C, H, W] (PyTorch's order).")
        var channelsFirst = false

        @Option(help: "Real steps of each padded sequence ([N] integers, 1…T): y.npy or data.h5:/lengths.")
        var lengths: String?

        @Option(name: .customLong("test-lengths"), help: "Real steps of each test sequence.")
        var testLengths: String?

        @Flag(help: "Inputs are sequences [N, T, F] (or [N, T], one feature per step), not images.")
        var sequences = false

        @Flag(help: "Inputs are token ids [N, T] (integers ≥ 0, for an embedding), never normalized.")
        var tokens = false

        @Option(name: .customLong("class-names"), help: "Class names in label order, comma-separated.")
        var classNames: String?

        @Option(name: .customLong("val-fraction"), help: "Share held out as test when no test arrays are given.")
        var valFraction: Double = 0.2

        @Option(help: "Seed of the train/test choice.")
        var seed: UInt64 = 1

        @OptionGroup var output: Shard.Output

        func validate() throws {
            _ = try Shard.fraction(valFraction)
            guard !(sequences && tokens) && !(channelsFirst && (sequences || tokens)) else {
                throw ValidationError("--sequences, --tokens and --channels-first exclude one another")
            }
            guard (testInputs == nil) == (testLabels == nil) else { throw ValidationError("give both --test-inputs and --test-labels, or neither") }
        }

        func run() throws {
            var options = ArrayShardOptions()
            options.channelsFirst = channelsFirst
            options.sequences = sequences
            options.tokens = tokens
            options.classNames = classNames.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
            options.testFraction = valFraction
            options.seed = seed
            options.shards = output.shards
            try Shard.convert {
                try DatasetConverter.arrays(inputs: try ArraySource.open(inputs), labels: try ArraySource.open(labels),
                                            testInputs: try testInputs.map(ArraySource.open), testLabels: try testLabels.map(ArraySource.open),
                                            lengths: try lengths.map(ArraySource.open), testLengths: try testLengths.map(ArraySource.open),
                                            output: output.directory, name: output.name ?? "arrays", options: options)
            }
        }
    }
}
