import Foundation
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
@testable import LockstepOperations
import LockstepOptimizers
@testable import LockstepOutputs
@testable import LockstepRecipe
import LockstepTensor
import LockstepTestSupport
@testable import LockstepTrain
import XCTest

/// Gradient accumulation, early stopping, the plateau schedule and evaluation every N steps,
/// on one rank (the multi-rank checks run the real binary).
final class TrainingConveniencesTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// 4 classes of 6×6 grey images, noisy bright quadrants (harder than TrainerTests').
    func shards(_ name: String, count: Int, seed: UInt64) throws -> String {
        try writeQuadrantShards(directory: dir, name: name, count: count, seed: seed, side: 6, classes: 4, bright: 170, dark: 70, noise: 160)
    }

    func recipe(_ extra: [String] = []) throws -> Recipe {
        let train = try shards("t-train", count: 256, seed: 1), test = try shards("t-test", count: 64, seed: 2)
        return try Recipe(yaml: """
            name: conveniences
            seed: 3
            model: {name: mlp, hidden: [32], dropout: 0.2}
            data: {train: \(train), test: \(test)}
            training: {epochs: 2, batch_per_rank: 32, log_every: 4}
            optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
            """, overrides: extra)
    }

    func train(_ r: Recipe, _ name: String, resume: String? = nil) throws -> (RunSummary, [String]) {
        var lines: [String] = []
        let s = try Trainer(recipe: r, communicator: LocalCommunicator(), outputDirectory: dir + "/" + name,
                            print: { lines.append($0) }).run(resume: resume)
        return (s, lines)
    }

    func weights(_ name: String) throws -> [Float] { try ModelWeights.read(dir + "/\(name)/model.h5").flatMap(\.values) }

    /// 4 micro-batches of 8 make the update of one batch of 32: dropout is keyed by sample, so
    /// even with it the two runs agree to rounding.
    func testAccumulationEqualsTheLargerBatch() throws {
        let (big, _) = try train(try recipe(), "big")
        let (acc, _) = try train(try recipe(["training.batch_per_rank=8", "training.accumulate_steps=4"]), "acc")
        XCTAssertEqual(acc.steps, big.steps)
        XCTAssertEqual(acc.globalBatch, 32)
        XCTAssertEqual(acc.accumulateSteps, 4)
        let a = try weights("acc"), b = try weights("big")
        let scale = b.map(abs).max()!
        XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-5 * scale)
        XCTAssertEqual(acc.finalTrainLoss!, big.finalTrainLoss!, accuracy: 1e-5)
        // Without accumulation, batches of 8 take other steps: the check can fail.
        let (small, _) = try train(try recipe(["training.batch_per_rank=8"]), "small")
        XCTAssertEqual(small.steps, 4 * big.steps)
    }

    /// Micro-batches of unequal sizes (5 of a batch of 32: 6, 6, 7, 6, 7) are weighted by their
    /// share of the batch: one step equals the step on the whole batch.
    func testUnevenMicroBatchesAreWeighted() throws {
        func oneStep(_ parts: Int) throws -> (params: [Float], loss: Double) {
            let model = try ModelZoo.build(ModelSpec(name: "mlp", hidden: [16]), inputShape: [1, 6, 6], classes: 4)
            model.arena.initialize(seed: 5)
            let step = TrainingStep(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.1, momentum: 0.9),
                                    communicator: LocalCommunicator())
            step.accumulationSteps = parts
            var rng = CounterRNG(seed: 9)
            let inputs = Tensor(shape: [32, 1, 6, 6], values: (0..<(32 * 36)).map { _ in rng.nextUniform() - 0.5 })
            let labels = (0..<32).map { Int32($0 % 4) }
            var loss = 0.0
            for s in 0..<2 {
                loss = try step.run(inputs, targets: .classes(labels), context: ForwardContext(training: true, step: s),
                                    learningRate: 0.1).loss
            }
            return (Array(model.arena.valueBuffer), loss)
        }
        let whole = try oneStep(1), parts = try oneStep(5)
        let scale = whole.params.map(abs).max()!
        XCTAssertLessThan(zip(parts.params, whole.params).map { abs($0 - $1) }.max()!, 1e-6 * scale)
        XCTAssertEqual(parts.loss, whole.loss, accuracy: 1e-6)
    }

    func testWatchCountsEvaluationsWithoutImprovement() {
        var w = MetricWatch(metric: .testLoss, patience: 2, minDelta: 0.01)
        XCTAssertFalse(w.observe(1.0))
        XCTAssertFalse(w.observe(0.995), "within min_delta: no improvement")
        XCTAssertEqual(w.waited, 1)
        XCTAssertFalse(w.observe(0.9))
        XCTAssertEqual(w.best, 0.9)
        XCTAssertFalse(w.observe(0.95))
        XCTAssertTrue(w.observe(0.91))
        var acc = MetricWatch(metric: .testAccuracy, patience: 1, minDelta: 0)
        XCTAssertFalse(acc.observe(0.5))
        XCTAssertFalse(acc.observe(0.6))
        XCTAssertTrue(acc.observe(0.6), "accuracy must rise")
    }

    func testPlateauLowersTheRateDownToTheFloor() throws {
        var watches = TrainingWatches(recipe: try recipe(["schedule.name=plateau", "schedule.patience=1", "schedule.factor=0.5",
                                                          "schedule.min_lr=0.02"]))
        func seen(_ loss: Double) -> WatchedValues { WatchedValues(evaluation: Evaluation(loss: loss, accuracy: 0), epoch: nil) }
        XCTAssert(watches.observe(seen(1), step: 1, baseRate: 0.05).isEmpty)
        let lines = watches.observe(seen(1.2), step: 2, baseRate: 0.05)
        XCTAssertEqual(watches.rateScale, 0.5, accuracy: 1e-12)
        XCTAssert(lines.first?.contains("test_loss did not improve for 1 evaluation(s)") ?? false, "\(lines)")
        _ = watches.observe(seen(1.3), step: 3, baseRate: 0.05)
        XCTAssertEqual(0.05 * watches.rateScale, 0.02, accuracy: 1e-12, "not below min_lr")
        XCTAssert(watches.observe(seen(1.4), step: 4, baseRate: 0.05).isEmpty, "at the floor: nothing more to say")
        var resumed = TrainingWatches(recipe: try recipe(["schedule.name=plateau"]))
        resumed.restore(watches.state)
        XCTAssertEqual(resumed.rateScale, watches.rateScale)
        XCTAssertEqual(resumed.plateau?.best, 1)
    }

    func testEarlyStoppingEndsTheRunAndSaysWhy() throws {
        // A rate of 0 never improves the test loss: the run stops after 1 + patience evaluations.
        let (s, lines) = try train(try recipe(["optimizer.lr=0", "training.epochs=10", "training.eval_every_steps=2",
                                               "training.early_stopping.patience=3"]), "es")
        XCTAssertEqual(s.steps, 8, "evaluations at steps 2, 4, 6, 8: the first sets the best, three more do not beat it")
        XCTAssertNotNil(s.earlyStopping)
        XCTAssert(lines.contains { $0.contains("early stopping at step 8: test_loss did not improve") }, "\(lines)")
        let evaluations = try String(contentsOfFile: dir + "/es/evaluations.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(evaluations.first, "step,epoch,test_loss,test_accuracy,lr")
        XCTAssertEqual(evaluations.count, 5)
        XCTAssert(lines.contains { $0.hasPrefix("epoch 1/10  step 2  test loss") }, "\(lines)")
        let metrics = try String(contentsOfFile: dir + "/es/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 2, "one (partial) epoch row")
    }

    func testEarlyStoppingResumesItsCount() throws {
        // Epoch-end evaluations only; a checkpoint after epoch 2 carries the count to the resumed run.
        let r = try recipe(["optimizer.lr=0", "training.epochs=6", "training.early_stopping.patience=3"])
        let (whole, _) = try train(r, "whole")
        XCTAssertEqual(whole.epochs, 4)
        _ = try train(try recipe(["optimizer.lr=0", "training.epochs=2", "training.early_stopping.patience=3"]), "part")
        let (resumed, lines) = try train(r, "part", resume: "auto")
        XCTAssert(lines.contains { $0.contains("resuming") }, "\(lines)")
        XCTAssertEqual(resumed.steps, whole.steps)
        XCTAssertEqual(resumed.earlyStopping, whole.earlyStopping)
    }

    func testWatchingTheTestSetNeedsOne() throws {
        XCTAssertThrowsError(try recipe(["data.test=null", "training.early_stopping.patience=2"])) { error in
            XCTAssert("\(error)".contains("'training.early_stopping.monitor' is test_loss, but there is no data.test"), "\(error)")
        }
        XCTAssertNoThrow(try recipe(["data.test=null", "training.early_stopping.monitor=train_loss"]))
        XCTAssertThrowsError(try recipe(["schedule.name=plateau", "schedule.monitor=val_loss"])) { error in
            XCTAssert("\(error)".contains("schedule.monitor"), "\(error)")
        }
    }
}

extension TrainingWatches {
    /// The watches of `recipe`'s run, as `Recipe.trainingParts` makes them.
    init(recipe: Recipe) { self.init(earlyStopping: recipe.training.earlyStopping, plateau: recipe.plateauPolicy) }
}
