import Foundation
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTestSupport
import LockstepTrain
import XCTest

final class FineTuningTests: XCTestCase {
    var dir = ""
    var manifests: [String] = []
    override func setUp() {
        dir = temporaryDirectory()
        manifests = try! DatasetConverter.synthetic(output: dir + "/data", name: "s", shards: 2, sampleShape: [6, 6, 1], classes: 4,
                                                    trainSamples: 160, testSamples: 40, seed: 2)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func train(_ run: String, _ overrides: [String]) throws -> RunSummary {
        let recipe = try Recipe(yaml: """
            name: ft
            seed: 3
            model: {name: mlp, hidden: [16, 8]}
            data: {train: \(manifests[0]), test: \(manifests[1])}
            training: {epochs: 2, batch_per_rank: 10}
            optimizer: {name: sgd, lr: 0.1, momentum: 0.9, weight_decay: 0.01}
            """, overrides: overrides)
        return try Trainer(recipe: recipe, communicator: LocalCommunicator(), outputDirectory: dir + "/" + run, print: { _ in }).run()
    }

    func weights(_ run: String) throws -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: try ModelWeights.read(dir + "/\(run)/model.h5").map { ($0.name, $0.values) })
    }

    func testPretrainedBackboneWithANewHeadAndFreezing() throws {
        _ = try train("pre", [])  // 4 classes
        let pre = try weights("pre")
        // Classes 2 and 3 only: a new 2-class head (5.*); the backbone is frozen, so it must
        // still hold the pretrained values bitwise (no update, no weight decay, no momentum).
        let s = try train("ft", ["pretrained=\(dir)/pre/model.h5", "head.classes=2", "data.classes=[2, 3]", "freeze=[\"1.*\", \"3.*\"]"])
        XCTAssertEqual(s.steps, 16)
        let ft = try weights("ft")
        for name in ["1.weight", "1.bias", "3.weight", "3.bias"] { XCTAssertEqual(ft[name], pre[name], "\(name) frozen") }
        XCTAssertEqual(ft["5.weight"]?.count, 2 * 8)
        XCTAssertGreaterThan(s.testAccuracy ?? 0, 0.9)
    }

    /// `pretrained.sha256` is checked before the file is parsed.
    func testThePretrainedFileMustHaveTheRecipesDigest() throws {
        _ = try train("pre", [])
        let file = dir + "/pre/model.h5", digest = try FileDigest.sha256(file)
        XCTAssertEqual(try train("ok", ["pretrained.file=\(file)", "pretrained.sha256=\(digest.uppercased())", "training.max_steps=1"]).steps, 1)
        let wrong = String(digest.reversed())
        XCTAssertThrowsError(try train("bad", ["pretrained.file=\(file)", "pretrained.sha256=\(wrong)"])) {
            XCTAssert("\($0)".contains("model.h5: sha256 is \(digest), pretrained.sha256 says \(wrong): not the file the recipe expects"), "\($0)")
        }
        XCTAssertThrowsError(try train("bad", ["pretrained.file=\(file)", "pretrained.sha256=abc"])) {
            XCTAssert("\($0)".contains("'pretrained.sha256' must be 64 hexadecimal digits"), "\($0)")
        }
    }

    func testUnfreezeAfterEpochsAndZeroLearningRateGroups() throws {
        _ = try train("pre", [])
        let pre = try weights("pre")
        _ = try train("thaw", ["pretrained=\(dir)/pre/model.h5", "freeze=[\"1.*\"]", "unfreeze_after_epochs=1"])
        XCTAssertNotEqual(try weights("thaw")["1.weight"], pre["1.weight"], "trained in epoch 2")
        _ = try train("group", ["pretrained=\(dir)/pre/model.h5", "optimizer.param_groups=[{params: [\"3.*\"], lr_scale: 0}]"])
        let g = try weights("group")
        XCTAssertEqual(g["3.weight"], pre["3.weight"], "lr_scale 0 leaves the group unchanged")
        XCTAssertNotEqual(g["1.weight"], pre["1.weight"])
    }

    func testPreprocessingResizesAndConvertsToRGBBeforeTheModel() throws {
        let s = try train("rgb", ["model.name=resnet18", "model.stem=cifar", "model.widths=[4, 4, 4, 4]", "data.preprocess=torch",
                                  "data.channels=3", "data.resize=[12, 12]", "data.crop=[10, 10]", "training.max_steps=4"])
        XCTAssertEqual(s.steps, 4)
        XCTAssertThrowsError(try train("x", ["data.preprocess=caffe", "data.normalize.mean=0.5"])) {
            XCTAssert("\($0)".contains("sets the normalization itself"), "\($0)")
        }
        XCTAssertThrowsError(try train("x", ["data.preprocess=keras"])) { XCTAssert("\($0)".contains("known: none, caffe"), "\($0)") }
        XCTAssertThrowsError(try train("x", ["data.resize=[12]"])) { XCTAssert("\($0)".contains("must be [height, width]"), "\($0)") }
    }

    func testBadFineTuningInputs() throws {
        _ = try train("pre", [])
        XCTAssertThrowsError(try train("x", ["pretrained=\(dir)/pre/model.h5", "model.hidden=[16, 9]"])) {
            XCTAssert("\($0)".contains("3.weight: file has [8, 16], model expects [9, 16]"), "\($0)")
        }
        XCTAssertThrowsError(try train("x", ["pretrained=\(dir)/nowhere.h5"])) { XCTAssert("\($0)".contains("nowhere.h5 not found"), "\($0)") }
        XCTAssertThrowsError(try train("x", ["head.classes=0"])) { XCTAssert("\($0)".contains("'head.classes' must be ≥ 1"), "\($0)") }
        XCTAssertThrowsError(try train("x", ["head.classes=3"])) { XCTAssert("\($0)".contains("head.classes is 3 but the training data has 4"), "\($0)") }
        XCTAssertThrowsError(try train("x", ["data.classes=[1, 7]"])) { XCTAssert("\($0)".contains("must be distinct labels in 0..<4"), "\($0)") }
        let junk = dir + "/junk.h5"
        _ = FileManager.default.createFile(atPath: junk, contents: Data("junk".utf8))
        XCTAssertThrowsError(try train("x", ["pretrained=\(junk)"])) { XCTAssert("\($0)".contains("junk.h5: not a pretrained-weights file"), "\($0)") }
    }
}
