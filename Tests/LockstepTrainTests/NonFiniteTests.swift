import Foundation
import LockstepData
import LockstepDistributed
import LockstepModels
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

    func run(_ policy: String, poisonStep: Int) throws -> (RunSummary, [String]) {
        let manifests = try DatasetConverter.synthetic(output: dir + "/data", name: "s", shards: 1, sampleShape: [4, 4, 1], classes: 3,
                                                       trainSamples: 96, testSamples: 24, seed: 3)
        let recipe = try Recipe(yaml: """
            name: nan
            seed: 1
            model: {name: mlp, hidden: [8]}
            data: {train: \(manifests[0]), test: \(manifests[1])}
            training: {epochs: 2, batch_per_rank: 8, log_every: 6, on_nonfinite: \(policy)}
            checkpoint: {every_steps: 2}
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
