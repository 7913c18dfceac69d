import ArgumentParser
import LockstepData

extension SequenceTask: ExpressibleByArgument {}

extension Shard {
    /// `lockstep shard sequence-task --task lookup`: a synthetic sequence classification task.
    struct SequenceTaskCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sequence-task",
            abstract: "A synthetic sequence task, for tests and benchmarks without downloads.",
            discussion: """
                lookup: token ids; position 0 points at a position k, the label is the token there \
                (needs attention, or a memory). parity: 0/1 tokens, the label is their sum mod 2. \
                periodic: one feature per step, a noisy sine of c + 1 cycles, the label is c. \
                Token tasks print the model.vocabulary a recipe needs.
                """)
        @Option(help: "The task: \(SequenceTask.allCases.map(\.rawValue).joined(separator: ", ")).")
        var task: SequenceTask = .lookup
        @Option(help: "Time steps per sequence.")
        var length: Int = 16
        @Option(name: .customLong("min-length"), help: "Shortest sequence: lengths vary from this to --length, padded with zeros (default: all --length).")
        var minLength: Int?
        @Option(help: "Number of classes (parity has 2).")
        var classes: Int = 8
        @Option(name: .customLong("train-samples"), help: "Training samples.")
        var trainSamples: Int = 8192
        @Option(name: .customLong("test-samples"), help: "Test samples.")
        var testSamples: Int = 1024
        @Option(help: "Seed.")
        var seed: UInt64 = 1
        @OptionGroup var output: Output

        func run() throws {
            try Shard.convert {
                try DatasetConverter.sequenceTask(task, length: length, minLength: minLength, classes: classes, trainSamples: trainSamples, testSamples: testSamples,
                                                  seed: seed, output: output.directory, name: output.name ?? task.rawValue, shards: output.shards)
            }
            if let v = task.vocabulary(length: length, classes: classes) { print("token ids 0..<\(v): set model.vocabulary: \(v)") }
        }
    }
}
