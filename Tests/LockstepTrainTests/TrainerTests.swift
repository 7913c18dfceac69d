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

/// The whole loop on one rank (LocalCommunicator) over a small synthetic sharded dataset;
/// the multi-rank runs through the real binary live in Tests/MultiRank.
final class TrainerTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// 3 classes of 4×4 images: class c is bright in quadrant c, plus noise.
    func writeQuadrants(_ name: String, count: Int, seed: UInt64) throws -> String {
        try writeQuadrantShards(directory: dir, name: name, count: count, seed: seed)
    }

    func recipe(_ extra: [String] = []) throws -> Recipe {
        let train = try writeQuadrants("q-train", count: 240, seed: 1), test = try writeQuadrants("q-test", count: 90, seed: 2)
        return try Recipe(yaml: """
            name: quadrants
            seed: 7
            model: {name: mlp, hidden: [16]}
            data: {train: \(train), test: \(test)}
            training: {epochs: 3, batch_per_rank: 12, log_every: 10}
            optimizer: {name: adam, lr: 0.01}
            """, overrides: extra)
    }

    func testTrainsAndWritesTheRunDirectory() throws {
        var lines: [String] = []
        let out = dir + "/run"
        let summary = try Trainer(recipe: try recipe(), communicator: LocalCommunicator(), outputDirectory: out,
                                  print: { lines.append($0) }).run()
        XCTAssertEqual(summary.steps, 60)
        XCTAssertEqual(summary.worldSize, 1)
        XCTAssertGreaterThan(summary.testAccuracy ?? 0, 0.95)
        XCTAssert(lines.contains { $0.contains("test accuracy") }, "\(lines)")
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 4, "header + one row per epoch")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        XCTAssertEqual(json["steps"] as? Int, 60)
        XCTAssertNotNil(json["test_accuracy"] as? Double)
        XCTAssertNotNil(json["samples_per_sec"] as? Double)
        XCTAssert(FileManager.default.fileExists(atPath: out + "/recipe.yaml"))
        // The saved weights load back into the same architecture and give the same accuracy.
        let r = try recipe()
        let test = try ShardSet(manifestPath: r.data.test!)
        let model = try ModelZoo.build(r.model, inputShape: test.sampleShape, classes: 3)
        try ModelWeights.load(out + "/model.h5", into: model)
        let eval = try Evaluator(recipe: r, communicator: LocalCommunicator()).evaluate(model, on: test, loss: r.makeLoss())
        XCTAssertEqual(try XCTUnwrap(eval.accuracy), summary.testAccuracy!, accuracy: 1e-12)
        // The confusion matrix: its diagonal is the accuracy; summary.json and the CSVs carry it.
        let m = try XCTUnwrap(eval.confusion)
        XCTAssertEqual(m.support.reduce(0, +), test.count)
        XCTAssertEqual(Double((0..<3).reduce(0) { $0 + m[$1, $1] }) / Double(test.count), try XCTUnwrap(eval.accuracy), accuracy: 1e-12)
        XCTAssertEqual(json["confusion_matrix"] as? [[Int]], (0..<3).map { r in (0..<3).map { m[r, $0] } })
        XCTAssertEqual((json["per_class_accuracy"] as? [String: Double])?.count, 3)
        let confusion = try String(contentsOfFile: out + "/confusion.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(confusion.count, 4, "a header and a row per class")
        XCTAssertEqual(try String(contentsOfFile: out + "/per_class.csv", encoding: .utf8).split(separator: "\n").first, "class,samples,correct,accuracy")
    }

    func testConfusionMatrixCSVQuotesNames() {
        let m = ConfusionMatrix(classes: 2, counts: [3, 1, 0, 4])
        XCTAssertEqual(m.perClassAccuracy.map { $0 ?? -1 }, [0.75, 1])
        XCTAssertEqual(m.csv(classNames: ["T-shirt, top", "say \"hi\""]),
                       "true \\ predicted,\"T-shirt, top\",\"say \"\"hi\"\"\"\n\"T-shirt, top\",3,1\n\"say \"\"hi\"\"\",0,4\n")
        XCTAssertEqual(ConfusionMatrix(classes: 2, counts: [0, 0, 1, 1]).perClassAccuracy[0], nil, "no sample, no accuracy")
    }

    func testSameSeedSameResult() throws {
        let a = try Trainer(recipe: try recipe(["training.epochs=1"]), communicator: LocalCommunicator(), outputDirectory: dir + "/a",
                            print: { _ in }).run()
        let b = try Trainer(recipe: try recipe(["training.epochs=1"]), communicator: LocalCommunicator(), outputDirectory: dir + "/b",
                            print: { _ in }).run()
        XCTAssertEqual(a.finalTrainLoss, b.finalTrainLoss)
        let weightsA = try ModelWeights.read(dir + "/a/model.h5"), weightsB = try ModelWeights.read(dir + "/b/model.h5")
        XCTAssertEqual(weightsA.map(\.name), weightsB.map(\.name))
        XCTAssertFalse(weightsA.isEmpty)
        for (x, y) in zip(weightsA, weightsB) { XCTAssertEqual(x.values, y.values, "\(x.name) differs between two runs of one seed") }
        let other = try Trainer(recipe: try recipe(["training.epochs=1", "seed=8"]), communicator: LocalCommunicator(),
                                outputDirectory: dir + "/c", print: { _ in }).run()
        XCTAssertNotEqual(other.finalTrainLoss, a.finalTrainLoss, "another seed must give another run")
    }

    func testWeightsOfAnotherModelAreRejectedWithTheDifferences() throws {
        let r = try recipe(["training.epochs=1"])
        _ = try Trainer(recipe: r, communicator: LocalCommunicator(), outputDirectory: dir + "/w", print: { _ in }).run()
        let other = try ModelZoo.build(ModelSpec(name: "mlp", hidden: [8]), inputShape: [1, 4, 4], classes: 3)
        XCTAssertThrowsError(try ModelWeights.load(dir + "/w/model.h5", into: other)) { error in
            XCTAssert("\(error)".contains("1.weight: file has [16, 16], model expects [8, 16]"), "\(error)")
        }
    }

    func testBatchLargerThanTheDataIsAnError() throws {
        XCTAssertThrowsError(try Trainer(recipe: try recipe(["training.batch_per_rank=1000"]), communicator: LocalCommunicator(),
                                         outputDirectory: dir + "/x", print: { _ in }).run()) { error in
            XCTAssert("\(error)".contains("exceeds the 240 training samples"), "\(error)")
        }
    }
}
