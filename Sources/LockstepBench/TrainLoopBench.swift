import Foundation
import LockstepData
import LockstepDistributed
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// W10: `lockstep train` end to end — the real `Trainer` on Fashion-MNIST shards (start-up,
/// shuffled batches through the loader, logging, TensorBoard, a test evaluation and a
/// checkpoint every epoch) — for the MLP of W1 and the LeNet-5 of W2, with their batch and
/// optimizer. Each report's throughput is the training samples over the whole run's wall time
/// (the slowest rank's); beside it, the training loop's own rate (the summary's samples/s,
/// epochs without evaluation and start-up), the same model's `ModelBench` loop run in this
/// process, and the share of the step spent waiting for data. The PyTorch side (in-memory
/// tensors, no DataLoader) is in launch/bench_reference.py.
public enum TrainLoopBench {
    /// The two recipes' differences: model, optimizer, and the `ModelBench` workload alike.
    static let models: [(name: String, model: String, optimizer: String, bench: Workload)] = [
        ("mlp", "{name: mlp, hidden: [512, 256]}", "{name: sgd, lr: 0.05, momentum: 0.9}", .w1),
        ("lenet", "{name: lenet5}", "{name: adam, lr: 0.001}", .w2),
    ]
    public static let epochs = 2
    public static let batchPerRank = 128

    public static func run(options: BenchOptions, comm: any Communicator) throws -> [BenchReport] {
        let directory = options.scratch ?? NSTemporaryDirectory() + "/lockstep-w10"
        let train = directory + "/w10-fashion-mnist-train.manifest.json", test = directory + "/w10-fashion-mnist-test.manifest.json"
        if comm.rank == 0 && !FileManager.default.fileExists(atPath: test) {
            _ = try DatasetConverter.mnistFormat(source: options.fashionMNIST, output: directory, name: "w10-fashion-mnist", shards: 4,
                                                 labelNames: DatasetConverter.fashionMNISTClasses)
        }
        try comm.barrier()
        return try models.map { m in
            let recipe = try Recipe(yaml: """
                name: w10-\(m.name)
                seed: 1
                model: \(m.model)
                data: {train: \(train), test: \(test), normalize: {mean: 0.2860, std: 0.3530}}
                training: {epochs: \(epochs), batch_per_rank: \(batchPerRank), log_every: 100, progress: none}
                optimizer: \(m.optimizer)
                """)
            return try report(m.name, recipe: recipe, bench: m.bench, runDirectory: directory + "/run-\(m.name)-\(comm.size)",
                              options: options, comm)
        }
    }

    /// One end-to-end run of `recipe`, then the `bench` workload's loop for comparison.
    static func report(_ name: String, recipe: Recipe, bench: Workload, runDirectory: String, options: BenchOptions,
                       _ comm: any Communicator) throws -> BenchReport {
        if comm.rank == 0 { try? FileManager.default.removeItem(atPath: runDirectory) }
        try comm.barrier()
        let trainer = Trainer(recipe: recipe, communicator: comm, outputDirectory: runDirectory, print: { _ in })
        var summary: RunSummary?
        let wall = try BenchReport.slowestRank(comm) { summary = try trainer.run() }
        let loop = try ModelBench.run(bench, options: options, comm: comm)
        let s = summary!, times = trainer.phaseTimes
        var report = BenchReport(workload: "W10-\(name)", ranks: comm.size, threads: loop.threads, batch: batchPerRank,
                                 samplesPerSecAll: [Double(s.steps * s.globalBatch) / wall], peakRSSBytes: try BenchReport.peakRSS(comm))
        report.timeSplit = times.secondsPerStep
        let stepSeconds = times.secondsPerStep.reduce(0) { $0 + $1.1 }
        report.extra = [("wall_s", wall), ("epochs", Double(s.epochs)), ("test_accuracy", s.testAccuracy ?? .nan),
                        ("loop_samples_per_sec", s.samplesPerSec), ("bench_samples_per_sec", loop.samplesPerSec),
                        ("loop_over_bench", s.samplesPerSec / loop.samplesPerSec),
                        ("data_wait_fraction", stepSeconds > 0 ? times.secondsPerStep[0].1 / stepSeconds : 0)]
        return report
    }
}
