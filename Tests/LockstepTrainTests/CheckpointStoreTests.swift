import Foundation
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTensor
import LockstepTestSupport
import LockstepTrain
import XCTest

final class CheckpointStoreTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A small ResNet (BatchNorm buffers) trained with Adam (two slots) on synthetic 8×8 images.
    func recipe(_ extra: [String] = []) throws -> Recipe {
        let manifests = try DatasetConverter.synthetic(output: dir + "/data", name: "s", shards: 2, sampleShape: [8, 8, 1], classes: 3,
                                                       trainSamples: 96, testSamples: 24, seed: 3)
        return try Recipe(yaml: """
            name: ck
            seed: 5
            model: {name: resnet18, stem: cifar, widths: [4, 4, 4, 4]}
            data: {train: \(manifests[0]), test: \(manifests[1])}
            training: {epochs: 3, batch_per_rank: 8, log_every: 100}
            optimizer: {name: adam, lr: 0.01}
            checkpoint: {keep_last: 2}
            """, overrides: extra)
    }

    func state(_ run: String) throws -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: try ModelWeights.read(dir + "/\(run)/model.h5").map { ($0.name, $0.values) })
    }

    func train(_ run: String, _ extra: [String] = [], resume: String? = nil) throws -> RunSummary {
        try Trainer(recipe: try recipe(extra), communicator: LocalCommunicator(), outputDirectory: dir + "/" + run, print: { _ in })
            .run(resume: resume)
    }

    func testResumeMidEpochIsBitwiseIdenticalIncludingBuffersAndOptimizerState() throws {
        _ = try train("full")
        _ = try train("cut", ["training.max_steps=17"])  // 12 steps per epoch: stops inside epoch 2
        let resumed = try train("cut", resume: "auto")
        XCTAssertEqual(resumed.steps, 36)
        XCTAssertEqual(try state("cut"), try state("full"), "parameters and BN running statistics bitwise equal")
        let rows = try String(contentsOfFile: dir + "/cut/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 4, "header + epochs 1, 2, 3 (the partial epoch-2 row was replaced)")
        // steps.csv: the logged steps of both invocations (epoch ends, and step 17 where the first
        // one stopped), each once, with the phase times.
        func loggedSteps() throws -> [Substring] {
            try String(contentsOfFile: dir + "/cut/steps.csv", encoding: .utf8).split(separator: "\n")
        }
        let steps = try loggedSteps()
        XCTAssertEqual(steps.first, "step,epoch,loss,accuracy,lr,samples_per_sec,data_wait_ms,forward_ms,backward_ms,allreduce_ms,optimizer_ms,sync_ms")
        XCTAssertEqual(steps.dropFirst().map { $0.split(separator: ",")[0] }, ["12", "17", "24", "36"])
        XCTAssertEqual(steps.dropFirst().map { $0.split(separator: ",")[1] }, ["1", "2", "2", "3"])
        XCTAssert(steps.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 12 })
        // Resuming a finished run runs no step and leaves the state as it was.
        let again = try train("cut", resume: "auto")
        XCTAssertEqual(again.steps, 36)
        XCTAssertNil(again.finalTrainLoss)
        XCTAssertEqual(try loggedSteps(), steps, "a run with nothing left to do logs nothing")
        XCTAssertEqual(try state("cut"), try state("full"))
    }

    func testKeepsTheLastKAndTheBestAndPointsLatestAtTheNewest() throws {
        _ = try train("run", ["checkpoint.every_steps=5"])
        let ck = dir + "/run/checkpoints"
        let files = try FileManager.default.contentsOfDirectory(atPath: ck).filter { $0.hasSuffix(".h5") }.sorted()
        XCTAssertEqual(CheckpointStore.pointer(ck, "latest"), ck + "/ckpt-000000036.h5")
        let best = try XCTUnwrap(CheckpointStore.pointer(ck, "best"))
        XCTAssert(files.suffix(2) == ["ckpt-000000035.h5", "ckpt-000000036.h5"], "\(files)")
        XCTAssert(files.contains(String(best.split(separator: "/").last!)), "the best checkpoint is kept: \(best) in \(files)")
        XCTAssertLessThanOrEqual(files.count, 3)
        let header = try Checkpoint.header(of: try HDF5File.open(best))
        XCTAssertNotNil(header.metrics["test_accuracy"])
        XCTAssertEqual(header.worldSize, 1)
        XCTAssertEqual(header.optimizer, "adam")
        let f = try HDF5File.open(ck + "/ckpt-000000036.h5")
        XCTAssertEqual(try f.group("optimizer").memberNames(), ["exp_avg", "exp_avg_sq"])
        XCTAssertEqual(try f.dataset("model/layer1.0.bn1.running_var").shape, [4])
    }

    func testBadCheckpointsAreRefusedWithTheReason() throws {
        _ = try train("run", ["training.max_steps=5"])
        let path = dir + "/run/checkpoints/ckpt-000000005.h5"
        XCTAssertThrowsError(try train("other", ["optimizer.name=sgd"], resume: path)) {
            XCTAssert("\($0)".contains("written with optimizer adam, the recipe now uses sgd"), "\($0)")
        }
        XCTAssertThrowsError(try train("other", ["model.widths=[4, 4, 4, 8]"], resume: path)) {
            XCTAssert("\($0)".contains("layer4.0.conv1.weight: file has [4, 4, 3, 3], model expects [8, 4, 3, 3]"), "\($0)")
        }
        XCTAssertThrowsError(try train("other", ["seed=6"], resume: path)) { XCTAssert("\($0)".contains("seed 5"), "\($0)") }
        XCTAssertThrowsError(try train("other", resume: dir + "/nope.h5")) { XCTAssert("\($0)".contains("nope.h5: no such checkpoint"), "\($0)") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/half.h5"))
        XCTAssertThrowsError(try train("other", resume: dir + "/half.h5")) { XCTAssert("\($0)".contains("half.h5: cannot read the checkpoint"), "\($0)") }
        // A fresh run with --resume auto and no checkpoint starts from scratch.
        XCTAssertEqual(try train("fresh", ["training.max_steps=3"], resume: "auto").steps, 3)
    }

    /// Every checkpoint carries a sha256 beside it. `--resume auto` skips one that no longer
    /// matches (saying so) and resumes from the newest intact one; `--resume PATH` to it is an
    /// error naming the file; a bitwise-identical result shows the older one really was used.
    func testACorruptedCheckpointIsSkippedByAutoAndRefusedByPath() throws {
        _ = try train("ref", ["training.max_steps=20"])
        _ = try train("run", ["training.max_steps=10", "checkpoint.every_steps=5"])
        let ck = dir + "/run/checkpoints"
        XCTAssertEqual(try FileDigest.verify(ck + "/ckpt-000000010.h5"), .intact)
        let latest = ck + "/ckpt-000000010.h5"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: latest)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: latest))
        XCTAssertThrowsError(try train("other", resume: latest)) {
            XCTAssert("\($0)".contains("ckpt-000000010.h5: cannot use the checkpoint: sha256 mismatch"), "\($0)")
        }
        var lines: [String] = []
        let summary = try Trainer(recipe: try recipe(["training.max_steps=20", "checkpoint.every_steps=5"]), communicator: LocalCommunicator(),
                                  outputDirectory: dir + "/run", print: { lines.append($0) }).run(resume: "auto")
        XCTAssertEqual(summary.steps, 20)
        XCTAssert(lines.contains { $0.contains("skipping checkpoint: \(latest): cannot use the checkpoint: sha256 mismatch") }, "\(lines)")
        XCTAssert(lines.contains { $0.contains("resuming from \(ck)/ckpt-000000005.h5 at step 5") }, "\(lines)")
        XCTAssertEqual(try state("run"), try state("ref"), "resumed from step 5: the same parameters as an uninterrupted run")
    }
}
