import Foundation
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepRecipe
import LockstepTensor
import LockstepTestSupport
import LockstepTrain
import XCTest

/// A run assembled from typed parts in Swift — a model of plain layers, a loss, an optimizer,
/// shards opened by hand — is the run a recipe describes: `Recipe.trainingParts` is only one
/// way to make the parts.
final class TrainingPartsTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func quadrants() throws -> (train: String, test: String) {
        (try writeQuadrantShards(directory: dir, name: "q-train", count: 240, seed: 1),
         try writeQuadrantShards(directory: dir, name: "q-test", count: 90, seed: 2))
    }

    /// The parts of the recipe below, made without it.
    func handMadeParts(_ paths: (train: String, test: String), classes: Int = 3) throws -> TrainingParts {
        let train = try ShardSet(manifestPath: paths.train), test = try ShardSet(manifestPath: paths.test)
        let model = try Model(inputShape: train.sampleShape, root: Sequential {
            Flatten()
            Dense(outputSize: 16, weightInitializer: .heNormal)
            ReLU()
            Dense(outputSize: classes, weightInitializer: .glorotUniform)
        })
        return TrainingParts(name: "quadrants", seed: 7, model: model, modelDescription: "two dense layers", loss: SoftmaxCrossEntropy(),
                             optimizer: Adam(learningRate: 0.01),
                             data: try TrainingData(train: train, test: test, communicator: LocalCommunicator()),
                             training: TrainingSettings(epochs: 2, batchPerRank: 12, logEvery: 10, progress: .none))
    }

    func testPartsMadeInSwiftTrainBitwiseAsTheRecipe() throws {
        let paths = try quadrants()
        let recipe = try Recipe(yaml: """
            name: quadrants
            seed: 7
            model: {name: mlp, hidden: [16]}
            data: {train: \(paths.train), test: \(paths.test)}
            training: {epochs: 2, batch_per_rank: 12, log_every: 10, progress: none}
            optimizer: {name: adam, lr: 0.01}
            """)
        let fromRecipe = try Trainer(recipe: recipe, communicator: LocalCommunicator(), outputDirectory: dir + "/recipe", print: { _ in }).run()
        var lines: [String] = []
        let fromParts = try Trainer(parts: try handMadeParts(paths), communicator: LocalCommunicator(), outputDirectory: dir + "/parts",
                                    print: { lines.append($0) }).run()
        XCTAssertEqual(fromParts.steps, 40)
        XCTAssertEqual(fromParts.finalTrainLoss, fromRecipe.finalTrainLoss)
        XCTAssertEqual(fromParts.testAccuracy, fromRecipe.testAccuracy)
        let a = try ModelWeights.read(dir + "/recipe/model.h5"), b = try ModelWeights.read(dir + "/parts/model.h5")
        XCTAssertEqual(a.map(\.name), b.map(\.name))
        for (x, y) in zip(a, b) { XCTAssertEqual(x.values, y.values, "\(x.name): the parts' run differs from the recipe's") }
        XCTAssert(lines.contains { $0.contains("model two dense layers") }, "\(lines)")
        let described = try String(contentsOfFile: dir + "/parts/recipe.yaml", encoding: .utf8)
        XCTAssert(described.contains("assembled by a Swift program"), described)
        XCTAssert(FileManager.default.fileExists(atPath: dir + "/parts/checkpoints/latest"))
    }

    func testPartsThatDoNotFitAreNamed() throws {
        let paths = try quadrants()
        XCTAssertThrowsError(try Trainer(parts: try handMadeParts(paths, classes: 5), communicator: LocalCommunicator(),
                                         outputDirectory: dir + "/bad", print: { _ in }).run()) { error in
            XCTAssert("\(error)".contains("quadrants: the model's output [5] does not fit the 3 classes of \(paths.train)"), "\(error)")
        }
        var parts = try handMadeParts(paths)
        parts.data.test = try ShardSet(manifestPath: try writeQuadrantShards(directory: dir, name: "wide", count: 30, seed: 3, classes: 4))
        XCTAssertThrowsError(try parts.validate()) { error in
            XCTAssert("\(error)".contains("with 4 classes, the training set [1, 4, 4] with 3"), "\(error)")
        }
    }
}
