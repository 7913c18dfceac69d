import Foundation
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTensor
import LockstepTestSupport
import LockstepTrain
import XCTest

/// `training.on_nonfinite`, driven by the poison fault (a NaN in one batch, as a corrupted
/// sample would put there).
final class NonFiniteTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func run(_ policy: String, poisonStep: Int, model: String = "{name: mlp, hidden: [8]}", sampleShape: [Int] = [4, 4, 1],
             maxSteps: Int = 0, checkpointEvery: Int = 2) throws -> (RunSummary, [String]) {
        let manifests = try DatasetConverter.synthetic(output: dir + "/data", name: "s", shards: 1, sampleShape: sampleShape, classes: 3,
                                                       trainSamples: 96, testSamples: 24, seed: 3)
        let recipe = try Recipe(yaml: """
            name: nan
            seed: 1
            model: \(model)
            data: {train: \(manifests[0]), test: \(manifests[1])}
            training: {epochs: 2, batch_per_rank: 8, log_every: 6, on_nonfinite: \(policy)\(maxSteps > 0 ? ", max_steps: \(maxSteps)" : "")}
            checkpoint: {every_steps: \(checkpointEvery)}
            """)
        var lines: [String] = []
        let trainer = Trainer(recipe: recipe, communicator: LocalCommunicator(), outputDirectory: dir + "/run", print: { lines.append($0) })
        trainer.faults = FaultInjection(poison: (0, poisonStep))
        return (try trainer.run(), lines)
    }

    func testSkipDropsTheStepCountsItAndGoesOn() throws {
        let (summary, lines) = try run("skip", poisonStep: 5)
        XCTAssertEqual(summary.steps, 24)
        XCTAssertEqual(summary.skippedSteps, 1)
        XCTAssert(summary.finalTrainLoss!.isFinite && summary.testAccuracy!.isFinite)
        XCTAssert(lines.contains { $0.contains("step 6/24") && $0.contains("(1 step(s) skipped: non-finite gradients)") }, "\(lines)")
        let rows = try String(contentsOfFile: dir + "/run/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssert(rows[0].hasSuffix(",skipped_steps") && rows[1].hasSuffix(",1") && rows[2].hasSuffix(",0"), "\(rows)")
    }

    /// A skipped step must leave everything as the step before left it: parameters, optimizer
    /// state, and the BatchNorm running statistics its forward pass already updated.
    func testASkippedStepLeavesTheBatchNormStatisticsAsTheStepBefore() throws {
        let (summary, _) = try run("skip", poisonStep: 5, model: "{name: resnet18, stem: cifar, widths: [4, 4, 4, 4]}",
                                   sampleShape: [8, 8, 3], maxSteps: 5, checkpointEvery: 1)
        XCTAssertEqual(summary.skippedSteps, 1)
        let before = try ModelWeights.read(dir + "/run/checkpoints/ckpt-000000004.h5")
        let after = try ModelWeights.read(dir + "/run/checkpoints/ckpt-000000005.h5")
        XCTAssertEqual(before.map(\.name), after.map(\.name))
        XCTAssert(before.contains { $0.name.hasSuffix("running_mean") } && before.contains { $0.name.hasSuffix("running_var") },
                  "\(before.map(\.name))")
        for (b, a) in zip(before, after) { XCTAssertEqual(b.values, a.values, b.name) }
        // The statistics did move on the steps that were applied.
        let first = try ModelWeights.read(dir + "/run/checkpoints/ckpt-000000003.h5")
        XCTAssert(zip(first, before).contains { $0.name.hasSuffix("running_mean") && $0.values != $1.values })
    }

    func testStopNamesTheStepTheRankAndTheFirstLayerAndKeepsTheLastCheckpoint() throws {
        XCTAssertThrowsError(try run("stop", poisonStep: 5)) { error in
            let text = "\(error)"
            XCTAssert(error is AgreedFailure, text)
            XCTAssert(text.contains("non-finite gradients at step 5 (training.on_nonfinite: stop); the step was not applied"), text)
            // ReLU maps NaN to 0, so the loss stays finite; the input and the first layer show it.
            XCTAssert(text.contains("rank 0@") && text.contains(": the input batch holds NaN/Inf (a corrupted sample?); first non-finite output: layer 0 (Flatten)"), text)
        }
        XCTAssertEqual(CheckpointStore.pointer(dir + "/run/checkpoints", "latest"), dir + "/run/checkpoints/ckpt-000000004.h5")
        let tensors = try ModelWeights.read(dir + "/run/checkpoints/ckpt-000000004.h5")
        XCTAssert(!tensors.isEmpty && tensors.allSatisfy { $0.values.allSatisfy(\.isFinite) }, "the last checkpoint holds the state before the bad step")
    }

    func testAllFiniteSeesEveryKindOfNonFinite() {
        for bad: Float in [.nan, .infinity, -.infinity] {
            for position in [0, 15, 16, 37] {
                var x = [Float](repeating: 1e30, count: 38)
                x[position] = bad
                XCTAssertFalse(VectorOps.allFinite(x, count: x.count), "\(bad) at \(position)")
            }
        }
        XCTAssert(VectorOps.allFinite([Float](repeating: .greatestFiniteMagnitude, count: 40), count: 40))
    }
}
