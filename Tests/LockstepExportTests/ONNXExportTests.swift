import Foundation
import LockstepModels
import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

@testable import LockstepExport

/// The ONNX file's structure (the numbers are judged by ONNX Runtime in the multi-rank tests:
/// Tests/MultiRank/checks/export.sh).
final class ONNXExportTests: XCTestCase {
    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "lockstep-export-\(getpid())-" + name }

    func parsed(_ model: Model, metadata: [String: String] = [:]) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try ONNXExport.serialize(model, name: "test", metadata: metadata))
    }

    func testInferenceGraphOfAVGGWithBatchNorm() throws {
        let model = try ModelZoo.build(ModelSpec(name: "vgg11_bn", widths: [2, 2, 2, 2, 2], classifierWidth: 4), inputShape: [3, 32, 32], classes: 3)
        let m = try parsed(model, metadata: ["input.shape": "3x32x32"])
        XCTAssertEqual(m.opsetImport.map(\.version), [Int64(ONNXExport.opset)])
        XCTAssertEqual(m.metadataProps.map(\.key), ["input.shape"])
        let ops = m.graph.node.map(\.opType)
        XCTAssertEqual(ops.filter { $0 == "Conv" }.count, 8)
        XCTAssertEqual(ops.filter { $0 == "BatchNormalization" }.count, 8)
        XCTAssertFalse(ops.contains("Dropout"), "dropout is absent in inference form")
        // The initializers carry the parameters' and statistics' own names.
        let names = Set(m.graph.initializer.map(\.name))
        for p in model.parameters { XCTAssert(names.contains(p.name), p.name) }
        for b in model.buffers { XCTAssert(names.contains(b.name), b.name) }
        // One input [batch, 3, 32, 32] with a free batch dimension, one output [batch, 3].
        let input = m.graph.input[0].type.tensorType.shape.dim
        XCTAssertEqual(input.first?.dimParam, "batch")
        XCTAssertEqual(input.dropFirst().map(\.dimValue), [3, 32, 32])
        XCTAssertEqual(m.graph.output[0].type.tensorType.shape.dim.dropFirst().map(\.dimValue), [3])
    }

    func testWeightsAreStoredExactly() throws {
        let model = try ModelZoo.build(ModelSpec(name: "mlp", hidden: [3]), inputShape: [2], classes: 2)
        let m = try parsed(model)
        let w = try XCTUnwrap(m.graph.initializer.first { $0.name == model.parameters[0].name })
        let values = w.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(values, model.parameters[0].value.toArray())
        XCTAssertEqual(w.dims, model.parameters[0].shape.map(Int64.init))
    }

    func testALayerWithoutAnONNXFormIsNamed() throws {
        let model = try Model(inputShape: [4, 3, 3], root: Sequential(named: [("conv", Conv2D(outChannels: 4, kernel: 1)), ("norm", GroupNorm(groups: 2))]))
        XCTAssertThrowsError(try ONNXExport.write(model, to: temporary("g.onnx"), name: "g", metadata: [:])) { error in
            XCTAssert("\(error)".contains("layer norm (GroupNorm) cannot be expressed in ONNX"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary("g.onnx")), "no partial file")
    }

    func testAnUnwritableOutputIsNamedAndLeavesNothing() throws {
        let model = try ModelZoo.build(ModelSpec(name: "mlp", hidden: [3]), inputShape: [2], classes: 2)
        let path = "/nonexistent-folder/model.onnx"
        XCTAssertThrowsError(try ONNXExport.write(model, to: path, name: "m", metadata: [:])) { error in
            XCTAssert("\(error)".contains("/nonexistent-folder/model.onnx"), "\(error)")
        }
    }
}
