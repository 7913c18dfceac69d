import Foundation
import Lockstep
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor
import LockstepTimeline

/// One invocation of a training run, from set-up to summary: everything `Trainer.run`
/// carries from epoch to epoch. Every rank builds one from the same parts and runs the same
/// calls in lockstep.
final class TrainingRun {
    let parts: TrainingParts
    let communicator: any Communicator
    let train: ShardSet
    let test: ShardSet?
    /// This rank's node: the ranks on its host and their BLAS threads against its cores.
    let node: CoreBudget
    let sampler: DistributedSampler
    let model: Model
    let optimizer: any Optimizer
    let store: CheckpointStore
    let fineTuning: FineTuningPlan
    let loss: any Loss
    let schedule: LearningRateSchedule
    let stepper: TrainingStep
    private(set) var evaluator: Evaluator
    /// Ends the job when a phase lasts longer than `training.stall_timeout` (nil when 0).
    let watchdog: StallWatchdog?
    /// Rank 0's run-directory writer (nil on other ranks).
    let recorder: RunRecorder?
    let signals: SignalMonitor
    /// Where this invocation started (step 0, or the resumed checkpoint's position).
    let start: TrainingPosition
    let totalSteps: Int
    let faults: FaultInjection
    /// Rank 0's bar or step lines.
    let display: ProgressDisplay
    /// When this invocation started (wall clock), for the metrics' elapsed column and the
    /// time to the first step.
    let runStartDate: Date
    /// Where start-up went on this rank (complete after the first step).
    private(set) var startup: StartupTimes
    private let say: (String) -> Void

    /// Steps taken so far, over all invocations.
    private(set) var step: Int
    /// Seconds spent in training epochs (evaluation and checkpoints excluded).
    private(set) var trainTime = 0.0
    /// The last epoch's training loss and accuracy, summed over ranks.
    private(set) var lastEpoch: MetricTotals?
    private(set) var evaluation: Evaluation?
    private(set) var epochsRun: Int
    /// Steps dropped for non-finite gradients (`training.on_nonfinite: skip`), in all and in
    /// the current epoch.
    private(set) var skippedSteps = 0
    private var skippedInEpoch = 0
    /// The step's phase times when the last progress line was logged (steps.csv rows are per window).
    private var timesAtLastLog = PhaseTimes()
    /// Rank 0's watch for a rank persistently slower than the others, and its last finding.
    private var stragglers = StragglerDetector()
    private(set) var straggler: StragglerDetector.Finding?
    /// Every rank's host, gathered at the first log interval.
    private var hosts: [String]?
    /// Early stopping and the plateau schedule.
    private(set) var watches: TrainingWatches
    /// The step of the last test-set evaluation (an epoch's end may follow one at the same step).
    private var evaluatedAtStep: Int?

    /// Starts `parts`' model from `resume`'s checkpoint or from fresh (or pretrained)
    /// parameters; `startup` has counted since `started`; `say` prints on rank 0.
    init(parts: TrainingParts, communicator comm: any Communicator, outputDirectory: String, resume: String?,
         faults: FaultInjection, started: Date, startup: StartupTimes, say: @escaping (String) -> Void) throws {
        try parts.validate()
        runStartDate = started
        var startup = startup
        self.parts = parts
        self.communicator = comm
        self.say = say
        self.faults = faults
        node = parts.data.node
        train = parts.data.train
        test = parts.data.test
        let training = parts.training
        let sampler = try DistributedSampler(numSamples: train.count, batchPerRank: training.samplesPerRankPerStep,
                                             rank: comm.rank, worldSize: comm.size, seed: parts.seed)
        self.sampler = sampler
        let model = parts.model
        self.model = model
        let optimizer = parts.optimizer
        self.optimizer = optimizer
        let store = CheckpointStore(communicator: comm, runDirectory: outputDirectory, policy: parts.checkpoints)
        self.store = store
        faults.arm(store)
        // From here on a hang (a file system, a file libhdf5 loops on) ends the job.
        let watchdog = try Self.startWatchdog(training.stallTimeout, comm, outputDirectory)
        self.watchdog = watchdog
        let start: TrainingPosition
        var watches = TrainingWatches(earlyStopping: training.earlyStopping, plateau: parts.plateau)
        do {
            let (position, watched) = try Self.startingPoint(parts, store, sampler, resume: resume, comm, say)
            start = position
            watches.restore(watched)
        } catch {
            watchdog?.stop()
            throw error
        }
        self.start = start
        self.watches = watches
        startup.lap(resume == nil ? (parts.fineTuning.pretrained == nil ? "parameters" : "pretrained weights") : "checkpoint")
        step = start.step
        epochsRun = start.epoch
        let fineTuning = FineTuningPlan(settings: parts.fineTuning)
        self.fineTuning = fineTuning
        fineTuning.applyLearningRateScales(model)
        let frozen = fineTuning.applyFreezing(model, epoch: start.epoch)
        if !parts.fineTuning.freeze.isEmpty { say("lockstep: \(frozen) of \(model.arena.parameterCount) parameters frozen") }

        loss = parts.loss
        schedule = parts.schedule
        stepper = Self.stepper(parts, comm, watchdog)
        evaluator = Evaluator(batchPerRank: training.evalBatchPerRank, pipeline: parts.data.pipeline, targets: parts.targets,
                              seed: parts.seed, communicator: comm)
        evaluator.watchdog = watchdog
        do {
            recorder = comm.rank == 0
                ? try RunRecorder(directory: outputDirectory, resolvedRecipe: parts.description, keepRowsThrough: start.epoch,
                                  keepStepsThrough: start.step, tensorboard: training.tensorboard,
                                  evaluationsCSV: training.evalEverySteps != nil) : nil
        } catch {
            watchdog?.stop()
            throw error
        }
        signals = SignalMonitor()
        let totalSteps = min(sampler.stepsPerEpoch * training.epochs, training.maxSteps ?? .max)
        self.totalSteps = totalSteps
        startup.lap("set-up")
        self.startup = startup
        display = ProgressDisplay(style: training.progress, epochs: training.epochs, rank: comm.rank, totalSteps: totalSteps, startStep: start.step,
                                  globalBatch: sampler.globalBatch, say: say)
        say("lockstep: \(parts.name): \(comm.size) rank(s), model \(parts.modelDescription) (\(model.arena.parameterCount) parameters), "
            + "\(train.count) training samples, global batch \(sampler.globalBatch), \(sampler.stepsPerEpoch) steps/epoch, \(totalSteps) steps")
    }

    /// Restores the checkpoint `resume` resolves to, or else makes every replica start from
    /// rank 0's initial (or pretrained) parameters.
    private static func startingPoint(_ parts: TrainingParts, _ store: CheckpointStore, _ sampler: DistributedSampler,
                                      resume: String?, _ comm: any Communicator,
                                      _ say: (String) -> Void) throws -> (TrainingPosition, [String: Double]) {
        let model = parts.model
        if let path = try resume.flatMap({ try store.resolve(resume: $0, say: say) }) {
            let (position, watched) = try store.restore(path, model: model, optimizer: parts.optimizer, expectedSeed: Int(parts.seed),
                                                        expectedGlobalBatch: sampler.globalBatch)
            say("lockstep: resuming from \(path) at step \(position.step) (epoch \(position.epoch + 1), step \(position.positionInEpoch) of it)")
            return (position, watched)
        }
        // Rank 0 draws the initial parameters and reads the pretrained file, which other
        // ranks never touch; everyone receives them.
        let tuning = parts.fineTuning
        if comm.rank == 0 {
            model.arena.initialize(seed: parts.seed)
            if let file = tuning.pretrained {
                if let expected = tuning.sha256 {
                    let actual = try FileDigest.sha256(file)
                    guard actual == expected.lowercased() else {
                        throw ImportError("\(file): sha256 is \(actual), pretrained.sha256 says \(expected): not the file the recipe expects (corrupted, truncated or replaced)")
                    }
                }
                // A new head keeps its fresh values: the file's tensors under it are not read.
                let newHead = tuning.headClasses == nil ? nil : model.headName.map { $0 + "." }
                try Pretrained.load(file, format: tuning.format, into: model, excluding: { name in newHead.map(name.hasPrefix) ?? false })
                say("lockstep: loaded pretrained weights \(file)\(tuning.headClasses.map { " with a new \($0)-class head (\(newHead ?? "")*)" } ?? "")")
            }
        }
        try comm.broadcast(stateOf: model, root: 0)
        return (TrainingPosition(step: 0, epoch: 0, positionInEpoch: 0), [:])
    }

    /// The data-parallel step the parts describe.
    private static func stepper(_ parts: TrainingParts, _ comm: any Communicator, _ watchdog: StallWatchdog?) -> TrainingStep {
        let stepper = TrainingStep(model: parts.model, loss: parts.loss, optimizer: parts.optimizer, communicator: comm,
                                   regularization: parts.regularization, clipGradNorm: parts.clipGradientNorm,
                                   bucketBytes: Int(parts.training.bucketMB * 1_048_576),
                                   allreducePrecision: parts.training.allreduceDType)
        stepper.watchdog = watchdog
        stepper.checksNonFinite = true
        stepper.accumulationSteps = parts.training.accumulateSteps
        return stepper
    }

    /// The watchdog, started and told that rank 0 reads the checkpoint or pretrained weights
    /// while the others wait for it (a collective call).
    private static func startWatchdog(_ timeout: Double, _ comm: any Communicator, _ outputDirectory: String) throws -> StallWatchdog? {
        let watchdog = try Self.watchdog(timeout, comm, outputDirectory)
        watchdog?.start()
        if comm.rank == 0 { watchdog?.mark("reading the checkpoint or the pretrained weights", step: 0) }
        else { watchdog?.waiting("waiting for rank 0 to read the checkpoint or the pretrained weights", step: 0) }
        return watchdog
    }

    /// The watchdog `training.stall_timeout` asks for (a collective call). Its reports go to a directory of this
    /// invocation (rank 0's start time names it), so an earlier stall's reports are not read.
    private static func watchdog(_ timeout: Double, _ comm: any Communicator, _ outputDirectory: String) throws -> StallWatchdog? {
        guard timeout > 0 else { return nil }
        let stamp = try comm.broadcast(String(format: "%.0f", Date().timeIntervalSince1970 * 1000), root: 0)
        return try StallWatchdog(timeout: timeout, communicator: comm, reportDirectory: outputDirectory + "/stalls/" + stamp)
    }

    /// Runs every remaining epoch.
    func runEpochs() throws {
        for epoch in start.epoch..<parts.training.epochs where step < totalSteps && watches.stopReason == nil {
            epochsRun = epoch + 1
            if epoch > start.epoch && fineTuning.unfreezes(atEpoch: epoch) {
                fineTuning.applyFreezing(model, epoch: epoch)
                stepper.parametersChanged()
                say("lockstep: epoch \(epoch + 1): all parameters unfrozen")
            }
            let epochStart = Date()
            display.startEpoch()
            let totals = try trainSteps(epoch: epoch)
            let epochTime = Date().timeIntervalSince(epochStart)
            trainTime += epochTime
            display.endEpoch(epoch, totals: totals, seconds: epochTime)
            try endEpoch(epoch, totals: totals, seconds: epochTime)
        }
    }

    /// The steps of one epoch (from where a resumed run left it, up to `totalSteps`);
    /// returns the epoch's training loss and accuracy summed over ranks.
    private func trainSteps(epoch: Int) throws -> MetricTotals {
        let first = epoch == start.epoch ? start.positionInEpoch : 0
        let plan = Array(sampler.batches(epoch: epoch, from: first).prefix(totalSteps - step))
        let loader = parts.data.pipeline.loader(train, plan: plan, training: true, epoch: epoch, seed: parts.seed, node: node)
        defer { loader.stop() }
        let empty = MetricTotals(classifies: parts.targets.classifies)
        var window = empty, epochTotals = empty
        var localEpoch = empty  // this rank's, for the bar
        var windowStart = Date()
        skippedInEpoch = 0
        while true {
            watchdog?.mark("reading the next training batch", step: step)
            let waitStart = Timeline.now()
            guard let batch = try loader.next() else { break }
            faults.delayIfSlow(rank: communicator.rank)
            stepper.recordDataWait(from: waitStart)
            faults.poisonIfDue(batch.inputs, rank: communicator.rank, step: step + 1)
            let context = ForwardContext(training: true, seed: parts.seed, step: step, rank: communicator.rank, samples: batch.indices,
                                         padding: batch.padding)
            let rate = schedule.rate(step: step, stepsPerEpoch: sampler.stepsPerEpoch, totalSteps: totalSteps) * Float(watches.rateScale)
            let outcome = try stepper.run(batch.inputs, targets: parts.targets.targets(for: batch, classes: train.numClasses),
                                          context: context, learningRate: rate)
            if outcome.skipped { try nonFiniteStep(outcome, inputs: batch.inputs, context: context) }
            step += 1
            if startup.toFirstStep == nil {
                startup.firstStepDone(since: runStartDate)
                say("lockstep: " + startup.line + " (rank 0)")
            }
            faults.perturbIfDue(model, rank: communicator.rank, step: step)
            if !outcome.skipped { window.add(loss: outcome.loss, output: outcome.output, labels: batch.labels) }
            var running = localEpoch
            running += window
            display.stepped(epoch: epoch, step: step, stepsPerEpoch: sampler.stepsPerEpoch, running: running,
                            learningRate: Double(optimizer.learningRate))
            let endOfEpoch = step == totalSteps || step % sampler.stepsPerEpoch == 0
            if step % parts.training.logEvery == 0 || endOfEpoch {
                localEpoch = running
                epochTotals += try logWindow(window, epoch: epoch, since: windowStart)
                window = empty
                windowStart = Date()
            }
            try stopIfSignalled()
            if let every = parts.training.evalEverySteps, step % every == 0, !endOfEpoch, test != nil {
                try evaluateTest(epoch: epoch, withinEpoch: true)
                if watches.stopReason != nil {
                    if step % parts.training.logEvery != 0 {  // the steps since the last line count in the epoch's row
                        localEpoch += window
                        epochTotals += try logWindow(window, epoch: epoch, since: windowStart)
                    }
                    break
                }
            }
            if store.policy.everySteps > 0 && step % store.policy.everySteps == 0 && !endOfEpoch {
                _ = try checkpoint()
            } else if let every = parts.training.consistencyCheckSteps, step % every == 0 {
                try checkReplicasAgree()
            }
        }
        return epochTotals
    }

    /// Prints a progress line for the steps since the last one; returns their sums over ranks.
    private func logWindow(_ window: MetricTotals, epoch: Int, since start: Date) throws -> MetricTotals {
        watchdog?.waiting("summing the training metrics over ranks", step: step)
        let sums = try window.summed(over: communicator)
        let elapsed = Date().timeIntervalSince(start)
        let rate = sums.samples / max(elapsed, 1e-9)
        display.stepLine(String(format: "epoch %d/%d  step %d/%d  loss %.4f", epoch + 1, parts.training.epochs, step, totalSteps, sums.meanLoss)
            + (sums.accuracy.map { String(format: "  acc %.2f%%", 100 * $0) } ?? "")
            + String(format: "  lr %.4g  %.0f samples/s", optimizer.learningRate, rate)
            + (skippedInEpoch > 0 ? "  (\(skippedInEpoch) step(s) skipped: non-finite gradients)" : ""))
        let phases = stepper.times.since(timesAtLastLog)
        timesAtLastLog = stepper.times
        if communicator.size > 1 { try watchForStragglers(phases) }
        try recorder?.appendStep(StepMetrics(step: step, epoch: epoch + 1, loss: sums.meanLoss,
                                             accuracy: sums.accuracy, learningRate: Double(optimizer.learningRate),
                                             samplesPerSecond: rate, phaseMilliseconds: phases.secondsPerStep.map { 1000 * $0.1 }))
        return sums
    }

    /// Gathers every rank's own-work times of the window (one allgather of 4 numbers); rank 0
    /// plots the slowest rank's excess and names a persistent straggler in the log and status.json.
    private func watchForStragglers(_ phases: PhaseTimes) throws {
        watchdog?.waiting("gathering the ranks' phase times", step: step)
        let mine = phases.secondsPerStep.filter { StragglerDetector.ownPhases.contains($0.0) }.map { 1000 * $0.1 }
        var all = [Double](repeating: 0, count: mine.count * communicator.size)
        try mine.withUnsafeBytes { send in try all.withUnsafeMutableBytes { try communicator.allgather(send, into: $0) } }
        if hosts == nil { hosts = try communicator.allgather(communicator.hostname) }
        guard communicator.rank == 0, let hosts else { return }
        let perRank = (0..<communicator.size).map { Array(all[($0 * mine.count)..<(($0 + 1) * mine.count)]) }
        let slowest = StragglerDetector.slowest(perRank)
        try recorder?.appendScalars([("stragglers/slowest_rank", Double(slowest.rank)),
                                     ("stragglers/slowest_excess_ms", slowest.excessMilliseconds)], step: step)
        guard let finding = stragglers.observe(perRank, hosts: hosts, step: step) else { return }
        straggler = finding
        say("lockstep: " + finding.line)
        if let directory = recorder?.directory, var status = RunStatus.read(directory) {
            status.straggler = finding
            status.updated = Date().timeIntervalSince1970
            try status.write(to: directory)
        }
    }

    /// A step whose gradients were not finite, and so not applied: counted with
    /// `on_nonfinite: skip`; with `stop`, every rank ends the run (a collective decision: the
    /// gradients are the same everywhere) after each rank looked where NaN/Inf first appears
    /// in its own step (batch, parameters, layer outputs, loss).
    private func nonFiniteStep(_ outcome: TrainingStep.Outcome, inputs: Tensor, context: ForwardContext) throws {
        if parts.training.onNonFinite == .skip {
            skippedSteps += 1
            skippedInEpoch += 1
            return
        }
        let mine = NonFiniteDiagnosis.local(model, inputs: inputs, context: context, loss: outcome.loss) ?? ""
        let culprits = try communicator.reports(mine, maxBytes: 512)
        var lines = ["non-finite gradients at step \(step + 1) (training.on_nonfinite: stop); the step was not applied and the last checkpoint is intact"]
        if culprits.isEmpty {
            lines.append("  every rank's batch, outputs and loss were finite; first non-finite gradient: "
                         + (NonFiniteDiagnosis.firstNonFiniteGradient(model) ?? "?") + " (an overflow in backward)")
        }
        lines += culprits.map { "  rank \($0.rank)@\($0.host): \($0.text)" }
        lines.append("  lower the learning rate, clip gradients (optimizer.clip_grad_norm) or check the data; training.on_nonfinite: skip drops such steps")
        throw AgreedFailure(lines.joined(separator: "\n"))
    }

    /// Ranks agree on a pending signal at every step boundary (one tiny allreduce); on one,
    /// rank 0 checkpoints and every rank throws `StoppedBySignal`.
    private func stopIfSignalled() throws {
        watchdog?.waiting("agreeing on pending signals", step: step)
        let agreeStart = Timeline.now()
        var signal = [Double(signals.pending)]
        try signal.withUnsafeMutableBufferPointer { try communicator.allreduceMax($0) }
        stepper.times.sync += Timeline.now() - agreeStart
        guard signal[0] > 0 else { return }
        let path = try checkpoint()
        say("lockstep: signal \(Int(signal[0])) at step \(step): checkpoint \(path) written; exiting with \(CheckpointStore.resumeExitCode) (resume with --resume auto)")
        try communicator.barrier()
        throw StoppedBySignal(signal: Int32(signal[0]), checkpoint: path)
    }

    /// After an epoch's steps: the replica check, the test-set evaluation, the metrics row,
    /// what early stopping and the plateau schedule make of them, and the epoch's checkpoint.
    private func endEpoch(_ epoch: Int, totals: MetricTotals, seconds: Double) throws {
        lastEpoch = totals
        let checkpointing = store.policy.everyEpoch || step == totalSteps || watches.stopReason != nil
        if !checkpointing { try checkReplicasAgree() }  // a checkpoint compares them itself
        let evaluatedNow = evaluatedAtStep == step
        if test != nil && !evaluatedNow { try evaluateTest(epoch: epoch, withinEpoch: false, trainTotals: totals) }
        else if watches.stopReason == nil { observeWatches(epoch: epoch, trainTotals: totals, evaluated: false) }
        if parts.targets == .inputs, let recorder {
            try ReconstructionPicture.write(model, samplesOf: test ?? train, normalization: parts.data.pipeline.normalization,
                                            transform: parts.data.pipeline.transform, to: recorder.directory + "/reconstructions.png")
        }
        try recorder?.appendEpoch(EpochMetrics(epoch: epoch + 1, step: step, trainLoss: totals.meanLoss,
                                               trainAccuracy: totals.accuracy,
                                               testLoss: evaluation?.loss, testAccuracy: evaluation?.accuracy,
                                               samplesPerSecond: totals.samples / max(seconds, 1e-9),
                                               elapsed: Date().timeIntervalSince(runStartDate), skippedSteps: skippedInEpoch))
        if checkpointing {
            var metrics = ["train_loss": totals.meanLoss]
            if let evaluation { metrics["test_loss"] = evaluation.loss; metrics["test_accuracy"] = evaluation.accuracy }
            _ = try checkpoint(metrics)
        }
        if let reason = watches.stopReason { say("lockstep: " + reason) }
    }

    /// Evaluates the test set (at an epoch's end, or every `training.eval_every_steps` within
    /// one), prints and records the result, and shows it to the watches.
    private func evaluateTest(epoch: Int, withinEpoch: Bool, trainTotals: MetricTotals? = nil) throws {
        guard let test else { return }
        evaluator.step = step
        let evaluationStart = Date()
        evaluator.onBatch = { [display] done, total, running in
            display.evaluating(epoch: epoch, done: done, of: total, running: running, since: evaluationStart)
        }
        let result = try evaluator.evaluate(model, on: test, loss: loss)
        display.endEvaluation()
        evaluation = result
        evaluatedAtStep = step
        try recorder?.writeConfusion(result)
        try recorder?.appendEvaluation(step: step, epoch: epoch + 1, result, learningRate: Double(optimizer.learningRate), withinEpoch: withinEpoch)
        say("epoch \(epoch + 1)/\(parts.training.epochs)" + (withinEpoch ? "  step \(step)" : "")
            + String(format: "  test loss %.4f", result.loss)
            + (result.accuracy.map { String(format: "  test accuracy %.2f%%", 100 * $0) } ?? "") + " (\(test.count) samples)")
        observeWatches(epoch: epoch, trainTotals: trainTotals, evaluated: true)
    }

    /// Shows the latest values to early stopping and the plateau schedule.
    private func observeWatches(epoch: Int, trainTotals: MetricTotals?, evaluated: Bool) {
        guard watches.isActive else { return }
        let seen = WatchedValues(evaluation: evaluated ? evaluation : nil, epoch: trainTotals)
        let base = Double(schedule.rate(step: max(step - 1, 0), stepsPerEpoch: sampler.stepsPerEpoch, totalSteps: totalSteps))
        for line in watches.observe(seen, step: step, baseRate: base) { say(line) }
    }

    /// Rank 0 writes a checkpoint of the current step, once every replica is known to hold the
    /// same state; returns its path.
    @discardableResult
    func checkpoint(_ metrics: [String: Double] = [:]) throws -> String {
        try checkReplicasAgree()
        watchdog?.mark("writing a checkpoint (rank 0)", step: step)
        let position = TrainingPosition(step: step, epoch: step / sampler.stepsPerEpoch, positionInEpoch: step % sampler.stepsPerEpoch)
        let metrics = metrics.merging(watches.state) { $1 }
        try store.save(model: model, optimizer: optimizer,
                       header: Checkpoint.Header(position: position, seed: Int(parts.seed), worldSize: communicator.size,
                                                 globalBatch: sampler.globalBatch, optimizer: optimizer.name,
                                                 optimizerStep: optimizer.stepCount, recipe: parts.description,
                                                 metrics: metrics))
        return store.directory + "/" + CheckpointStore.fileName(step: step)
    }

    /// Compares the replicas' fingerprints (parameters, buffers, optimizer state) over ranks.
    private func checkReplicasAgree() throws {
        watchdog?.waiting("comparing the replicas' fingerprints", step: step)
        try ReplicaFingerprint.check(model, optimizer, communicator, step: step)
    }

    /// The end-of-run record (the same on every rank).
    func summary() -> RunSummary {
        var s = RunSummary(name: parts.name, worldSize: communicator.size, batchPerRank: parts.training.batchPerRank,
                   globalBatch: sampler.globalBatch, epochs: epochsRun, steps: step,
                   parameterCount: model.arena.parameterCount, finalTrainLoss: lastEpoch?.meanLoss,
                   finalTrainAccuracy: lastEpoch?.accuracy ?? nil, testLoss: evaluation?.loss, testAccuracy: evaluation?.accuracy,
                   samplesPerSec: Double((step - start.step) * sampler.globalBatch) / max(trainTime, 1e-9),
                   wallTimeS: Date().timeIntervalSince(runStartDate), skippedSteps: skippedSteps,
                   perClassAccuracy: evaluation?.perClassAccuracyByName, classNames: evaluation?.confusion.map { _ in evaluation!.classNames },
                   confusionMatrix: evaluation?.confusion.map { m in (0..<m.classes).map { r in (0..<m.classes).map { m[r, $0] } } })
        s.accumulateSteps = parts.training.accumulateSteps
        s.earlyStopping = watches.stopReason
        return s
    }
}
