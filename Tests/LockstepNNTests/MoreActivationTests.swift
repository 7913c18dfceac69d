import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class MoreActivationTests: XCTestCase {
    func testForwardByHand() {
        let x = Tensor(shape: [1, 3], values: [-2, 0, 3])
        let ctx = ForwardContext(training: true)
        assertClose(LeakyReLU(slope: 0.1).forward(x, ctx).toArray(), [-0.2, 0, 3])
        assertClose(ELU(alpha: 1).forward(x, ctx).toArray(), [expf(-2) - 1, 0, 3], rtol: 1e-6)
        assertClose(GELU().forward(x, ctx).toArray(), [-2 * 0.0227501319, 0, 3 * 0.9986501020], rtol: 1e-5)
        assertClose(Swish().forward(x, ctx).toArray(), [-2 / (1 + expf(2)), 0, 3 / (1 + expf(-3))], rtol: 1e-6)
    }

    func testGradientsAgainstFiniteDifferences() throws {
        let x = randomTensor([3, 2, 2, 2], seed: 8, lo: -3, hi: 3, awayFromZero: 0.05)
        let layers: [any Layer] = [LeakyReLU(), ELU(), GELU(), Swish(), PReLU(), PReLU(perChannel: true)]
        for layer in layers {
            try bind(layer, inputShape: [2, 2, 2])
            checkGradients(layer, input: x)
        }
        let maxout = Maxout(units: 3, pieces: 2)
        try bind(maxout, inputShape: [5], seed: 2)
        checkGradients(maxout, input: randomTensor([4, 5], seed: 9))
    }

    func testMatchPyTorch() throws {
        let cases: [(String, any Layer)] = [("act_leaky_relu", LeakyReLU(slope: 0.01)), ("act_elu", ELU(alpha: 1)), ("act_gelu", GELU()),
                                            ("act_swish", Swish()), ("act_prelu_channels", PReLU(perChannel: true)),
                                            ("act_maxout", Maxout(units: 4, pieces: 2))]
        for (name, layer) in cases { try TorchCase(name).check(layer) }
    }
}

final class MoreLossTests: XCTestCase {
    func testMatchPyTorch() throws {
        let cases: [(String, any Loss, Bool)] = [("loss_mae", MeanAbsoluteError(), false),
                                                 ("loss_cross_entropy_ls01", SoftmaxCrossEntropy(labelSmoothing: 0.1), true),
                                                 ("loss_bce_with_logits", BinaryCrossEntropy(), false)]
        for (name, loss, classes) in cases {
            let c = try TorchCase(name)
            let targets: Targets = classes ? .classes(try c.values("t").map { Int32($0) }) : .values(try c.tensor("t"))
            let value = try loss.forward(try c.tensor("x"), targets)
            assertClose([value], try c.values("y"), "\(name) value")
            assertClose(loss.backward().toArray(), try c.values("gx"), "\(name) gradient")
        }
    }

    func testGradientsAgainstFiniteDifferences() throws {
        let x = randomTensor([3, 4], seed: 5, lo: -2, hi: 2)
        try checkLossGradient(SoftmaxCrossEntropy(labelSmoothing: 0.2), prediction: x, targets: .classes([1, 3, 0]), eps: 1e-2, rtol: 5e-3, atol: 2e-5)
        try checkLossGradient(BinaryCrossEntropy(), prediction: x,
                              targets: .values(Tensor(shape: [3, 4], values: [1, 0, 0, 1, 1, 1, 0, 0, 0.5, 0, 1, 0])),
                              eps: 1e-2, rtol: 5e-3, atol: 2e-5)
        // MAE's kink at y = t: keep predictions away from the targets.
        try checkLossGradient(MeanAbsoluteError(), prediction: x, targets: .values(Tensor(shape: [3, 4])), eps: 1e-3, rtol: 5e-3, atol: 2e-5)
    }

    func testBinaryCrossEntropyIsFiniteForHugeLogits() throws {
        let bce = BinaryCrossEntropy()
        let v = try bce.forward(Tensor(shape: [1, 2], values: [1e4, -1e4]), .values(Tensor(shape: [1, 2], values: [0, 1])))
        XCTAssertEqual(v, 1e4, accuracy: 1)
    }
}
