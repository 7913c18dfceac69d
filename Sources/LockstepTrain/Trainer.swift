import Foundation
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
import LockstepOptimizers
import LockstepTensor
import LockstepTimeline

/// Synchronous data-parallel training: every rank runs this loop in lockstep.
///
/// Per step: read this rank's slice of the global batch → forward → loss → backward, with
/// gradient buckets allreduced as they complete → average → identical optimizer step on every
/// rank. Rank 0 prints progress and writes the run directory; every rank evaluates its share
/// of the test set. Any error is thrown to the caller, which reports it with the rank and aborts.
public final class Trainer {
    public let recipe: Recipe
    public let communicator: any Communicator
    public let outputDirectory: String
    /// Where rank 0's progress lines go.
    private let print: (String) -> Void

    public private(set) var model: Model!
    /// When set, every rank records a timeline of the training steps, written at the end as
    /// one Chrome trace (chrome://tracing, ui.perfetto.dev) to this path.
    public var timelinePath: String?
    /// Where the training steps spent their time on this rank (after `run`).
    public private(set) var phaseTimes = PhaseTimes()

    public init(recipe: Recipe, communicator: any Communicator, outputDirectory: String? = nil,
                print: @escaping (String) -> Void = { Swift.print($0) }) {
        self.recipe = recipe
        self.communicator = communicator
        self.outputDirectory = outputDirectory ?? recipe.output
        self.print = print
    }

    private var isCoordinator: Bool { communicator.rank == 0 }

    private func say(_ line: String) { if isCoordinator { print(line) } }

    /// Runs the recipe to the end (or until a signal) and returns the summary (the same on
    /// every rank). With `resume`, continues from that checkpoint ("auto": the latest, if any).
    @discardableResult
    public func run(resume: String? = nil) throws -> RunSummary {
        let start = Date()
        let comm = communicator
        // Before any shard is opened: only rank 0 reads the pretrained file, and an error on
        // it ends every rank.
        if isCoordinator, resume == nil, let file = recipe.fineTuning.pretrained, !FileManager.default.fileExists(atPath: file) {
            throw RecipeError("pretrained weights \(file) not found (recipe key 'pretrained')")
        }
        let train = try ShardSet(manifestPath: recipe.data.train, verifyChecksums: recipe.data.verifyChecksums)
        try train.restrict(classes: recipe.data.classes, limit: recipe.data.limit, seed: recipe.seed)
        let test = try recipe.data.test.map { try ShardSet(manifestPath: $0, verifyChecksums: recipe.data.verifyChecksums) }
        try test?.restrict(classes: recipe.data.classes, limit: nil, seed: recipe.seed)
        if let test, test.sampleShape != train.sampleShape || test.numClasses != train.numClasses {
            throw DataError("\(test.manifestPath): samples \(test.sampleShape) with \(test.numClasses) classes do not match the training set's \(train.sampleShape) with \(train.numClasses)")
        }
        let tuning = recipe.fineTuning
        if let k = tuning.headClasses, k != train.numClasses {
            throw RecipeError("head.classes is \(k) but the training data has \(train.numClasses) classes")
        }
        let sampler = try DistributedSampler(numSamples: train.count, batchPerRank: recipe.training.batchPerRank,
                                             rank: comm.rank, worldSize: comm.size, seed: recipe.seed)
        let model = try ModelZoo.build(recipe.model, inputShape: try recipe.data.transform.outputShape(train.sampleShape),
                                       classes: train.numClasses)
        self.model = model
        guard recipe.loss != "cross_entropy" || model.outputShape == [train.numClasses] else {
            throw RecipeError("model output \(model.outputShape) does not fit \(train.numClasses) classes")
        }
        let optimizer = recipe.optimizer.make()
        let coordinator = Coordinator(communicator: comm, runDirectory: outputDirectory, policy: recipe.checkpoint)
        var position = TrainingPosition(step: 0, epoch: 0, positionInEpoch: 0)
        if let path = try resume.flatMap({ try coordinator.resolve(resume: $0) }) {
            position = try coordinator.restore(path, model: model, optimizer: optimizer, expectedSeed: Int(recipe.seed),
                                               expectedGlobalBatch: sampler.globalBatch)
            say("lockstep: resuming from \(path) at step \(position.step) (epoch \(position.epoch + 1), step \(position.positionInEpoch) of it)")
        } else {
            // Replicas start identical: rank 0 draws the initial parameters (and reads the
            // pretrained file, which other ranks never touch), everyone receives them.
            if isCoordinator {
                model.arena.initialize(seed: recipe.seed)
                if let file = tuning.pretrained {
                    let head = ModelZoo.headPrefix(recipe.model)
                    try Pretrained.load(file, format: tuning.format, into: model,
                                        excluding: tuning.headClasses == nil ? { _ in false } : { $0.hasPrefix(head) })
                    say("lockstep: loaded pretrained weights \(file)\(tuning.headClasses.map { " with a new \($0)-class head (\(head)*)" } ?? "")")
                }
            }
            try comm.broadcast(stateOf: model, root: 0)
        }
        for p in model.parameters {
            p.learningRateScale = Float(tuning.parameterGroups.first { $0.patterns.contains { Glob.matches($0, p.name) } }?.learningRateScale ?? 1)
        }
        func applyFreezing(epoch: Int) -> Int {
            let thawed = tuning.unfreezeAfterEpochs.map { epoch >= $0 } ?? false
            var frozen = 0
            for p in model.parameters {
                p.isFrozen = !thawed && tuning.freeze.contains { Glob.matches($0, p.name) }
                if p.isFrozen { frozen += p.count }
            }
            return frozen
        }
        let frozenAtStart = applyFreezing(epoch: position.epoch)
        if !tuning.freeze.isEmpty { say("lockstep: \(frozenAtStart) of \(model.arena.parameterCount) parameters frozen") }

        let loss = recipe.makeLoss()
        let schedule = recipe.makeSchedule(globalBatch: sampler.globalBatch, stepsPerEpoch: sampler.stepsPerEpoch)
        let stepper = TrainingStep(model: model, loss: loss, optimizer: optimizer, communicator: comm,
                                   regularization: recipe.regularization,
                                   clipGradNorm: recipe.optimizer.clipGradNorm.map { Float($0) },
                                   bucketBytes: Int(recipe.training.bucketMB * 1_048_576))
        let recorder = isCoordinator
            ? try RunRecorder(directory: outputDirectory, resolvedRecipe: recipe.resolvedYAML, keepRowsThrough: position.epoch) : nil
        let signals = SignalMonitor()

        let totalSteps = min(sampler.stepsPerEpoch * recipe.training.epochs, recipe.training.maxSteps ?? .max)
        say("lockstep: \(recipe.name): \(comm.size) rank(s), model \(recipe.model.name) (\(model.arena.parameterCount) parameters), "
            + "\(train.count) training samples, global batch \(sampler.globalBatch), \(sampler.stepsPerEpoch) steps/epoch, \(totalSteps) steps")

        var step = position.step
        var trainTime = 0.0
        var lastLoss: Double?, lastAccuracy: Double?
        var evaluation: (loss: Double, accuracy: Double)?
        var epochsRun = position.epoch
        func checkpoint(_ metrics: [String: Double] = [:]) throws -> String {
            let p = TrainingPosition(step: step, epoch: step / sampler.stepsPerEpoch, positionInEpoch: step % sampler.stepsPerEpoch)
            try coordinator.save(model: model, optimizer: optimizer,
                                 header: Checkpoint.Header(position: p, seed: Int(recipe.seed), worldSize: comm.size,
                                                           globalBatch: sampler.globalBatch, optimizer: optimizer.name,
                                                           optimizerStep: optimizer.stepCount, recipe: recipe.resolvedYAML,
                                                           metrics: metrics))
            return coordinator.directory + "/" + Coordinator.fileName(step: step)
        }
        let timeline = try timelinePath.map { _ in try TraceFile.start(comm) }
        for epoch in position.epoch..<recipe.training.epochs where step < totalSteps {
            epochsRun = epoch + 1
            if let n = tuning.unfreezeAfterEpochs, epoch == n, epoch > position.epoch, !tuning.freeze.isEmpty {
                _ = applyFreezing(epoch: epoch)
                stepper.parametersChanged()
                say("lockstep: epoch \(epoch + 1): all parameters unfrozen")
            }
            let first = epoch == position.epoch ? position.positionInEpoch : 0
            let plan = Array(sampler.batches(epoch: epoch, from: first).prefix(totalSteps - step))
            let loader = BatchLoader(source: train, plan: plan, normalization: recipe.data.normalization,
                                     transform: recipe.data.transform, prefetch: recipe.data.prefetch)
            defer { loader.stop() }
            var window = [0.0, 0.0, 0.0]  // loss sum, correct, samples since the last line
            var epochTotals = [0.0, 0.0, 0.0]
            var windowStart = Date()
            let epochStart = Date()
            while true {
                let waitStart = Timeline.now()
                guard let batch = try loader.next() else { break }
                stepper.recordDataWait(from: waitStart)
                let context = ForwardContext(training: true, seed: recipe.seed, step: step, rank: comm.rank)
                let rate = schedule.rate(step: step, stepsPerEpoch: sampler.stepsPerEpoch, totalSteps: totalSteps)
                let (output, value) = try stepper.run(batch.inputs, targets: targets(for: batch, classes: train.numClasses),
                                                      context: context, learningRate: rate)
                step += 1

                let n = Double(batch.labels.count)
                window[0] += value * n
                window[1] += Double(correctCount(output, batch.labels))
                window[2] += n
                let endOfEpoch = step == totalSteps || step % sampler.stepsPerEpoch == 0
                if step % recipe.training.logEvery == 0 || endOfEpoch {
                    let sums = try comm.sum(window)
                    for i in 0..<3 { epochTotals[i] += sums[i] }
                    let elapsed = Date().timeIntervalSince(windowStart)
                    say(String(format: "epoch %d/%d  step %d/%d  loss %.4f  acc %.2f%%  lr %.4g  %.0f samples/s",
                               epoch + 1, recipe.training.epochs, step, totalSteps, sums[0] / sums[2],
                               100 * sums[1] / sums[2], optimizer.learningRate, sums[2] / max(elapsed, 1e-9)))
                    window = [0, 0, 0]
                    windowStart = Date()
                }
                // Ranks agree on a pending signal at every step boundary (one tiny allreduce).
                let agreeStart = Timeline.now()
                var signal = [Double(signals.pending)]
                try signal.withUnsafeMutableBufferPointer { try comm.allreduceMax($0) }
                stepper.times.sync += Timeline.now() - agreeStart
                if signal[0] > 0 {
                    let path = try checkpoint()
                    say("lockstep: signal \(Int(signal[0])) at step \(step): checkpoint \(path) written; exiting with \(Coordinator.resumeExitCode) (resume with --resume auto)")
                    try comm.barrier()
                    throw StoppedBySignal(signal: Int32(signal[0]), checkpoint: path)
                }
                if coordinator.policy.everySteps > 0 && step % coordinator.policy.everySteps == 0 && !endOfEpoch {
                    _ = try checkpoint()
                }
            }
            let epochTime = Date().timeIntervalSince(epochStart)
            trainTime += epochTime
            let epochLoss = epochTotals[0] / max(epochTotals[2], 1)
            lastLoss = epochLoss
            lastAccuracy = epochTotals[1] / max(epochTotals[2], 1)
            try checkReplicasAgree(model, step: step)
            if let test {
                evaluation = try evaluate(model: model, on: test, loss: loss)
                say(String(format: "epoch %d/%d  test loss %.4f  test accuracy %.2f%% (%d samples)",
                           epoch + 1, recipe.training.epochs, evaluation!.loss, 100 * evaluation!.accuracy, test.count))
            }
            try recorder?.appendEpoch(EpochMetrics(epoch: epoch + 1, step: step, trainLoss: epochLoss, trainAccuracy: lastAccuracy,
                                                   testLoss: evaluation?.loss, testAccuracy: evaluation?.accuracy,
                                                   samplesPerSecond: epochTotals[2] / max(epochTime, 1e-9),
                                                   elapsed: Date().timeIntervalSince(start)))
            if coordinator.policy.everyEpoch || step == totalSteps {
                var metrics = lastLoss.map { ["train_loss": $0] } ?? [:]
                if let evaluation { metrics["test_loss"] = evaluation.loss; metrics["test_accuracy"] = evaluation.accuracy }
                _ = try checkpoint(metrics)
            }
        }

        phaseTimes = stepper.times
        if let timeline, let timelinePath {
            try TraceFile.finish(timeline, comm, to: timelinePath)
            say("lockstep: timeline written to \(timelinePath)")
        }
        if phaseTimes.steps > 0 {
            let perStep = phaseTimes.secondsPerStep.map { "\($0.0) " + String(format: "%.2f", 1000 * $0.1) }
            say("lockstep: ms per step on rank 0: " + perStep.joined(separator: ", "))
        }
        let summary = RunSummary(name: recipe.name, worldSize: comm.size, batchPerRank: recipe.training.batchPerRank,
                                 globalBatch: sampler.globalBatch, epochs: epochsRun, steps: step,
                                 parameterCount: model.arena.parameterCount, finalTrainLoss: lastLoss,
                                 finalTrainAccuracy: lastAccuracy, testLoss: evaluation?.loss, testAccuracy: evaluation?.accuracy,
                                 samplesPerSec: Double((step - position.step) * sampler.globalBatch) / max(trainTime, 1e-9),
                                 wallTimeS: Date().timeIntervalSince(start))
        if let recorder {
            try ModelWeights.save(model, to: outputDirectory + "/model.h5",
                                  attributes: ["recipe": recipe.resolvedYAML, "step": String(step)])
            try recorder.writeSummary(summary)
        }
        if let acc = summary.testAccuracy {
            say(String(format: "final test accuracy %.2f%%  (%d steps, %.0f samples/s, %.1f s)", 100 * acc, step,
                       summary.samplesPerSec, summary.wallTimeS))
        }
        try comm.barrier()
        return summary
    }

    /// Loss and accuracy of `model` over all of `data`, each sample counted once over all ranks.
    public func evaluate(model: Model, on data: ShardSet, loss: any Loss) throws -> (loss: Double, accuracy: Double) {
        let sampler = EvaluationSampler(numSamples: data.count, batchPerRank: recipe.training.evalBatchPerRank,
                                        rank: communicator.rank, worldSize: communicator.size)
        let loader = BatchLoader(source: data, plan: sampler.batches, normalization: recipe.data.normalization,
                                 transform: recipe.data.transform, prefetch: recipe.data.prefetch)
        defer { loader.stop() }
        var totals = [0.0, 0.0, 0.0]
        while let batch = try loader.next() {
            let output = model.forward(batch.inputs, ForwardContext(training: false, seed: recipe.seed, rank: communicator.rank))
            let value = try loss.forward(output, targets(for: batch, classes: data.numClasses))
            totals[0] += Double(value) * Double(batch.labels.count)
            totals[1] += Double(correctCount(output, batch.labels))
            totals[2] += Double(batch.labels.count)
        }
        let sums = try communicator.sum(totals)
        return (sums[0] / max(sums[2], 1), sums[1] / max(sums[2], 1))
    }

    private func targets(for batch: Batch, classes: Int) -> Targets {
        guard !recipe.usesClassTargets else { return .classes(batch.labels) }
        // Regression-style losses on class data: one-hot targets.
        let t = Tensor(shape: [batch.labels.count, classes])
        for (r, label) in batch.labels.enumerated() { t[r * classes + Int(label)] = 1 }
        return .values(t)
    }

    private func correctCount(_ output: Tensor, _ labels: [Int32]) -> Int {
        let n = output.shape[0], k = output.count / max(n, 1)
        let predicted = VectorOps.argmaxRows(output.data, rows: n, cols: k)
        return zip(predicted, labels).reduce(0) { $0 + ($1.0 == Int($1.1) ? 1 : 0) }
    }

    /// Replicas must hold identical parameters; a checksum compared over ranks catches drift
    /// (a rank that skipped a step, non-deterministic reduction, memory corruption) early.
    private func checkReplicasAgree(_ model: Model, step: Int) throws {
        guard communicator.size > 1 else { return }
        let c = VectorOps.sum(model.arena.values, count: model.arena.count)
        var v = [c, -c]
        try v.withUnsafeMutableBufferPointer { try communicator.allreduceMax($0) }
        guard v[0] == -v[1] else {
            throw CommunicatorError("replicas diverged at step \(step): parameter checksums range from \(-v[1]) to \(v[0]) over ranks")
        }
    }
}
