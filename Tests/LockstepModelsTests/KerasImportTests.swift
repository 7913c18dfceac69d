import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class KerasImportTests: XCTestCase {
    /// Imports a Keras-written file into `net` and compares the softmax of our eval-mode output
    /// with Keras's own output on the same (NHWC → NCHW) input.
    func check(_ fixture: String, _ net: Sequential, input: [Int]) throws {
        let model = try Model(inputShape: input, root: net)
        let ref = try HDF5File.open(fixturePath("keras_reference.h5")).group(fixture)
        // Keras's count_params includes BatchNorm's moving statistics (our buffers).
        XCTAssertEqual(model.arena.parameterCount + model.buffers.reduce(0) { $0 + $1.value.count },
                       try ref.intAttribute("num_parameters"), "\(fixture) parameter count")
        let layers = try KerasWeights.read(fixturePath("\(fixture).h5"))
        try ModelWeights.apply(try KerasImport.stateDict(layers, for: model, source: fixture), to: model, source: fixture)
        let xd = try ref.dataset("x")
        let nhwc: [Float] = try xd.read()
        let (n, h, w, c) = (xd.shape[0], xd.shape[1], xd.shape[2], xd.shape[3])
        var nchw = [Float](repeating: 0, count: nhwc.count)
        for s in 0..<n { for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            nchw[((s * c + ch) * h + y) * w + x] = nhwc[((s * h + y) * w + x) * c + ch]
        } } } }
        let logits = model.forward(Tensor(shape: [n, c, h, w], values: nchw), ForwardContext(training: false))
        let k = logits.shape[1]
        var probabilities = logits.toArray()
        probabilities.withUnsafeMutableBufferPointer { Softmax.rows($0.baseAddress!, $0.baseAddress!, rows: n, cols: k) }
        assertClose(probabilities, try ref.dataset("y").read(), rtol: 1e-4, atol: 1e-6, "\(fixture) output")
    }

    func vggMini() -> Sequential {
        VGG.make(features: [.conv(8), .conv(8), .pool, .conv(16), .conv(16), .pool, .conv(32), .conv(32), .conv(32), .pool],
                 batchNorm: false, classifierWidth: 64, dropout: 0, pooledSize: nil, classes: 10)
    }

    func testKeras2VGGReproducesKerasOutputs() throws { try check("keras2_vgg_mini", vggMini(), input: [3, 32, 32]) }

    func testKeras3VGGReproducesKerasOutputs() throws { try check("keras3_vgg_mini", vggMini(), input: [3, 32, 32]) }

    func testKeras2ResNetReproducesKerasOutputs() throws {
        let net = ResNet.make(block: .bottleneck, layers: [2, 2, 1, 1], widths: [8, 16, 32, 64], classes: 10, variant: .keras(stemWidth: 16))
        try check("keras2_resnet_mini", net, input: [3, 64, 64])
    }

    func testWeightRolesOfEveryKerasVersion() {
        XCTAssertEqual(KerasWeights.role(of: "block1_conv1/kernel:0", layer: "block1_conv1"), "kernel")
        XCTAssertEqual(KerasWeights.role(of: "block1_conv1/bias", layer: "block1_conv1"), "bias")
        XCTAssertEqual(KerasWeights.role(of: "block1_conv1_W_1:0", layer: "block1_conv1"), "kernel")
        XCTAssertEqual(KerasWeights.role(of: "block1_conv1_b_1:0", layer: "block1_conv1"), "bias")
        XCTAssertEqual(KerasWeights.role(of: "bn/moving_variance:0", layer: "bn"), "moving_variance")
        XCTAssertEqual(KerasWeights.role(of: "bn_running_std_1:0", layer: "bn"), "moving_variance")
    }

    func testMismatchedArchitectureListsTheDifferences() throws {
        let model = try Model(inputShape: [3, 64, 64],
                              root: ResNet.make(block: .bottleneck, layers: [2, 2, 1, 1], widths: [8, 16, 32, 32], classes: 10,
                                                variant: .keras(stemWidth: 16)))
        let tensors = try KerasImport.stateDict(try KerasWeights.read(fixturePath("keras2_resnet_mini.h5")), for: model, source: "k")
        XCTAssertThrowsError(try ModelWeights.apply(tensors, to: model, source: "keras2_resnet_mini.h5")) { error in
            XCTAssert("\(error)".contains("layer4.0.conv1.weight: file has [64, 128, 1, 1], model expects [32, 128, 1, 1]"), "\(error)")
        }
        // ResNet weights offered to a VGG: mapped by their (ResNet) names, then refused by name.
        let vgg = try Model(inputShape: [3, 32, 32], root: vggMini())
        let resnetTensors = try KerasImport.stateDict(try KerasWeights.read(fixturePath("keras2_resnet_mini.h5")), for: vgg, source: "k")
        XCTAssertThrowsError(try ModelWeights.apply(resnetTensors, to: vgg, source: "keras2_resnet_mini.h5")) { error in
            XCTAssert("\(error)".contains("missing features.0.weight"), "\(error)")
        }
    }
}
