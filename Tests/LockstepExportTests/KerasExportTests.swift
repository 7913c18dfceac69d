import Foundation
import LockstepExport
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

@testable import LockstepExport

/// Keras exports compared with files Keras wrote (`save_weights`, keras.applications naming)
/// and with keras.applications' own layer lists (`export_reference.json`).
final class KerasExportTests: XCTestCase {
    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "lockstep-export-\(getpid())-" + name }

    func vggMini() throws -> Model {
        try Model(inputShape: [3, 32, 32], root: VGG.make(features: [.conv(8), .conv(8), .pool, .conv(16), .conv(16), .pool, .conv(32), .conv(32), .conv(32), .pool],
                                                          batchNorm: false, classifierWidth: 64, dropout: 0, pooledSize: nil, classes: 10))
    }

    func resnetMini() throws -> Model {
        try Model(inputShape: [3, 64, 64], root: ResNet.make(block: .bottleneck, layers: [2, 2, 1, 1], widths: [8, 16, 32, 64], classes: 10,
                                                             variant: .keras(stemWidth: 16)))
    }

    /// The Keras file imported and exported again: its layers with weights in the same order, each
    /// with the same weight names (`block1_conv1/kernel:0`), shapes and values.
    func checkAgainstKerasFile(_ fixture: String, _ model: Model, architecture: String) throws {
        try Pretrained.load(fixturePath(fixture), into: model)
        let out = temporary(fixture)
        defer { unlink(out) }
        try ExportFormat.keras.write(model, architecture: architecture, to: out, metadata: [:])
        let theirs = try KerasWeights.read(fixturePath(fixture)).filter { !$0.weights.isEmpty }
        let ours = try KerasWeights.read(out)
        XCTAssertEqual(ours.map(\.name), theirs.map(\.name), "\(fixture): layers with weights, in order")
        let (a, b) = (try HDF5File.open(out), try HDF5File.open(fixturePath(fixture)))
        for (o, t) in zip(ours, theirs) {
            XCTAssertEqual(try a.group(o.name).stringArrayAttribute("weight_names"), try b.group(t.name).stringArrayAttribute("weight_names"), o.name)
            XCTAssertEqual(o.weights.map(\.role), t.weights.map(\.role), o.name)
            for (x, y) in zip(o.weights, t.weights) {
                XCTAssertEqual(x.shape, y.shape, "\(o.name) \(x.role) shape")
                XCTAssertEqual(x.values, y.values, "\(o.name) \(x.role) values")
            }
        }
    }

    func testVGGMatchesTheKerasFile() throws { try checkAgainstKerasFile("keras2_vgg_mini.h5", try vggMini(), architecture: "vgg16") }

    func testResNet50MatchesTheKerasFile() throws {
        try checkAgainstKerasFile("keras2_resnet_mini.h5", try resnetMini(), architecture: "resnet50-keras")
    }

    /// Full-size models: the layers keras.applications' VGG16 and ResNet50 load, in their order.
    func testFullSizeModelsHaveKerasApplicationsLayers() throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixturePath("export_reference.json")))) as! [String: Any]
        let keras = reference["keras"] as! [String: [[Any]]]
        for (theirs, ours) in [("VGG16", "vgg16"), ("ResNet50", "resnet50-keras")] {
            let model = try ModelZoo.build(ModelSpec(name: ours), inputShape: [3, 224, 224], classes: 1000)
            let layers = try KerasExport.layers(of: model, architecture: ours)
            let expected = keras[theirs]!
            XCTAssertEqual(layers.map(\.name), expected.map { $0[0] as! String }, "\(theirs): layer order")
            for (layer, e) in zip(layers, expected) {
                XCTAssertEqual(layer.weights.map(\.role), e[1] as! [String], "\(theirs) \(layer.name)")
                XCTAssertEqual(layer.weights.map(\.shape), e[2] as! [[Int]], "\(theirs) \(layer.name)")
            }
        }
    }

    /// Export, then Lockstep's own Keras importer: the same outputs, bit for bit.
    func testRoundTripGivesTheSameOutputs() throws {
        let a = try resnetMini(), b = try resnetMini()
        for buffer in a.buffers { buffer.value.assign((0..<buffer.value.count).map { Float($0 % 5) * 0.1 + 0.6 }) }
        let out = temporary("roundtrip.h5")
        defer { unlink(out) }
        try ExportFormat.keras.write(a, architecture: "resnet50-keras", to: out, metadata: [:])
        try Pretrained.load(out, into: b)
        let x = Tensor(shape: [2, 3, 64, 64], values: (0..<(2 * 3 * 64 * 64)).map { cosf(Float($0)) })
        XCTAssertEqual(a.forward(x, ForwardContext(training: false)).toArray(), b.forward(x, ForwardContext(training: false)).toArray())
    }

    func testArchitecturesKerasLacksAreRefusedWithTheReason() throws {
        let resnet = try ModelZoo.build(ModelSpec(name: "resnet50", widths: [4, 4, 4, 4]), inputShape: [3, 32, 32], classes: 3)
        XCTAssertThrowsError(try ExportFormat.keras.write(resnet, architecture: "resnet50", to: temporary("r.h5"), metadata: [:])) { error in
            XCTAssert("\(error)".contains("fine-tune model resnet50-keras to export to Keras"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary("r.h5")))
        let lstm = try ModelZoo.build(ModelSpec(name: "lstm", hidden: [4]), inputShape: [5, 3], classes: 2)
        XCTAssertThrowsError(try ExportFormat.keras.write(lstm, architecture: "lstm", to: temporary("l.h5"), metadata: [:])) { error in
            XCTAssert("\(error)".contains("model lstm cannot be exported to Keras"), "\(error)")
        }
        // A VGG whose adaptive pool resamples a 1×1 map to 7×7 has no Keras equivalent.
        let vgg = try ModelZoo.build(ModelSpec(name: "vgg16", widths: [2, 2, 2, 2, 2], classifierWidth: 4), inputShape: [3, 32, 32], classes: 3)
        XCTAssertThrowsError(try ExportFormat.keras.write(vgg, architecture: "vgg16", to: temporary("v.h5"), metadata: [:])) { error in
            XCTAssert("\(error)".contains("turns the last feature map [2, 1, 1] into [2, 7, 7]"), "\(error)")
        }
    }
}
