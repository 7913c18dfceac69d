import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// An autoencoder's decoder pieces: finite differences, hand values, and PyTorch's values
/// (Tests/Fixtures/torch_decoder.h5, made by make_decoder_fixtures.py).
final class DecoderTests: XCTestCase {
    func testConvTransposeMatchesPyTorch() throws {
        for name in ["conv_transpose", "conv_transpose_plain"] {
            let c = try TorchCase(name, file: "torch_decoder.h5")
            try c.check(ConvTranspose2D(outChannels: try c.setting("out_channels"), kernel: try c.setting("kernel"), stride: try c.setting("stride"),
                                        padding: try c.setting("padding"), outputPadding: try c.setting("output_padding")))
        }
    }

    func testConvTransposeGradientsAndShape() throws {
        let layer = ConvTranspose2D(outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1)
        XCTAssertEqual(try layer.build(inputShape: [3, 7, 7]), [2, 14, 14])
        let small = ConvTranspose2D(outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1)
        try bind(small, inputShape: [2, 3, 4], seed: 2)
        checkGradients(small, input: randomTensor([2, 2, 3, 4], seed: 3))
        XCTAssertThrowsError(try ConvTranspose2D(outChannels: 1, kernel: 3).build(inputShape: [10])) {
            XCTAssert("\($0)".contains("ConvTranspose2D") && "\($0)".contains("[C, H, W]"), "\($0)")
        }
    }

    /// A transposed convolution is the adjoint of the convolution with the same weights:
    /// ⟨conv(x), y⟩ = ⟨x, convT(y)⟩.
    func testConvTransposeIsTheConvolutionsAdjoint() throws {
        let conv = Conv2D(outChannels: 3, kernel: 3, stride: 2, padding: 1, bias: false)
        try bind(conv, inputShape: [2, 6, 6], seed: 4)
        let transposed = ConvTranspose2D(outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1)
        try bind(transposed, inputShape: [3, 3, 3], seed: 5)
        transposed.weight.value.copy(from: conv.weight.value)
        transposed.bias?.value.fill(0)
        let x = randomTensor([1, 2, 6, 6], seed: 6), y = randomTensor([1, 3, 3, 3], seed: 7)
        let cx = conv.forward(x, ForwardContext(training: false)).toArray(), ty = transposed.forward(y, ForwardContext(training: false)).toArray()
        let left = zip(cx, y.toArray()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let right = zip(x.toArray(), ty).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        XCTAssertEqual(left, right, accuracy: 1e-4 * max(abs(left), 1))
    }

    func testUpsampleMatchesPyTorch() throws {
        let c = try TorchCase("upsample", file: "torch_decoder.h5")
        try c.check(Upsample(scale: try c.setting("scale")))
        let up = Upsample(scale: 3)
        XCTAssertEqual(try up.build(inputShape: [1, 1, 2]), [1, 3, 6])
        XCTAssertEqual(up.forward(Tensor(shape: [1, 1, 1, 2], values: [1, 2]), ForwardContext(training: true)).toArray(),
                       [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        checkGradients(up, input: randomTensor([2, 1, 1, 2], seed: 8))
    }

    func testReshapeSharesElements() throws {
        let reshape = Reshape([2, 1, 3])
        XCTAssertEqual(try reshape.build(inputShape: [6]), [2, 1, 3])
        XCTAssertThrowsError(try Reshape([2, 2]).build(inputShape: [5])) { XCTAssert("\($0)".contains("4 elements per sample"), "\($0)") }
        checkGradients(reshape, input: randomTensor([2, 6], seed: 9))
    }

    func testProbabilityBCEMatchesPyTorch() throws {
        let c = try TorchCase("bce", file: "torch_decoder.h5")
        let loss = ProbabilityBinaryCrossEntropy()
        let value = try loss.forward(try c.tensor("x"), .values(try c.tensor("t")))
        assertClose([value], try c.values("loss"), "bce loss")
        assertClose(loss.backward().toArray(), try c.values("gx"), "bce gradient")
        // Saturated probabilities stay finite, as PyTorch's clamp of the log at −100.
        XCTAssert(try loss.forward(Tensor(shape: [1, 2], values: [0, 1]), .values(Tensor(shape: [1, 2], values: [1, 0]))).isFinite)
    }

    func testConvTransposeWithoutBias() throws {
        let layer = ConvTranspose2D(outChannels: 2, kernel: 3, stride: 2, padding: 1, outputPadding: 1, bias: false)
        try bind(layer, inputShape: [3, 3, 3], seed: 5)
        XCTAssertEqual(layer.parameters.map(\.name), ["weight"])
        XCTAssertNil(layer.bias)
        checkGradients(layer, input: randomTensor([2, 3, 3, 3], seed: 8))
    }
}
