import Foundation
import LockstepData
import LockstepDistributed
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTestSupport
import LockstepTrain
import XCTest

/// `training.progress` and `training.tensorboard` through a whole (one-rank) run.
final class ProgressDisplayTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func run(_ training: String, out: String) throws -> [String] {
        let manifests = try DatasetConverter.synthetic(output: dir + "/data", name: "s", shards: 1, sampleShape: [4, 4, 1], classes: 3,
                                                       trainSamples: 48, testSamples: 12, seed: 3)
        let recipe = try Recipe(yaml: """
            model: {name: mlp, hidden: [8]}
            data: {train: \(manifests[0]), test: \(manifests[1])}
            training: {epochs: 1, batch_per_rank: 8, log_every: 2, \(training)}
            """)
        var lines: [String] = []
        try Trainer(recipe: recipe, communicator: LocalCommunicator(), outputDirectory: dir + "/" + out, print: { lines.append($0) }).run()
        return lines
    }

    /// The test's output is no terminal: `auto` prints lines, as `lines` does; `none` none.
    func testStepLinesFollowTheProgressStyle() throws {
        for style in ["auto", "lines", "none"] {
            let lines = try run("progress: \(style)", out: style)
            XCTAssertEqual(lines.filter { $0.contains("  step ") }.count, style == "none" ? 0 : 3, "\(style): \(lines)")
            XCTAssert(lines.contains { $0.hasPrefix("epoch 1/1  test loss") }, "\(style): \(lines)")
        }
        XCTAssertThrowsError(try run("progress: fancy", out: "bad")) {
            XCTAssert("\($0)".contains("training.progress") && "\($0)".contains("auto, bar, lines, none"), "\($0)")
        }
    }

    func testTensorBoardFilesUnlessTurnedOff() throws {
        _ = try run("progress: none", out: "on")
        _ = try run("progress: none, tensorboard: false", out: "off")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/on/tensorboard")
        XCTAssertEqual(files.count, 1)
        XCTAssert(files[0].hasPrefix("events.out.tfevents."), files[0])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/off/tensorboard"))
    }
}
