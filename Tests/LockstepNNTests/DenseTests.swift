import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class DenseTests: XCTestCase {
    func testForwardByHand() throws {
        let dense = Dense(outputSize: 3)
        try bind(dense, inputShape: [2])
        dense.weight.value.assign([1, 2, 3, 4, 5, 6])  // [out 3, in 2]
        dense.bias!.value.assign([0.1, 0.2, 0.3])
        let y = dense.forward(Tensor(shape: [2, 2], values: [1, 1, 0, -1]), ForwardContext(training: true))
        XCTAssertEqual(y.shape, [2, 3])
        assertClose(y.toArray(), [3.1, 7.2, 11.3, -1.9, -3.8, -5.7], rtol: 1e-6)
    }

    func testGradientsAgainstFiniteDifferences() throws {
        for bias in [true, false] {
            let dense = Dense(outputSize: 4, bias: bias)
            try bind(dense, inputShape: [5], seed: 3)
            checkGradients(dense, input: randomTensor([3, 5], seed: 4))
        }
    }

    func testMatchesPyTorch() throws {
        for name in ["dense", "dense_nobias"] {
            let c = try TorchCase(name)
            let x = try c.tensor("x"), w = try c.tensor("weight")
            let dense = Dense(outputSize: w.shape[0], bias: c.group.exists("bias"))
            try bind(dense, inputShape: [x.shape[1]])
            dense.weight.value.copy(from: w)
            if let b = dense.bias { b.value.copy(from: try c.tensor("bias")) }
            let y = dense.forward(x, ForwardContext(training: true))
            assertClose(y.toArray(), try c.values("y"), "\(name) y")
            let gx = dense.backward(try c.tensor("gy"), needsInputGradient: true, nil)!
            assertClose(gx.toArray(), try c.values("gx"), "\(name) gx")
            assertClose(dense.weight.gradient.toArray(), try c.values("grad_weight"), "\(name) grad_weight")
            if let b = dense.bias { assertClose(b.gradient.toArray(), try c.values("grad_bias"), "\(name) grad_bias") }
        }
    }

    func testWrongInputShapeNamesTheLayerAndBothShapes() throws {
        let net = Sequential {
            Flatten()
            Dense(inputSize: 10, outputSize: 4)
        }
        XCTAssertThrowsError(try Model(inputShape: [1, 2, 3], root: net)) { error in
            let text = "\(error)"
            XCTAssert(text.contains("layer 1 (Dense)"), text)
            XCTAssert(text.contains("[10]") && text.contains("[6]"), text)
        }
    }
}

final class ActivationTests: XCTestCase {
    func testForwardByHand() throws {
        let x = Tensor(shape: [1, 4], values: [-1, 0, 2, logf(3)])
        let ctx = ForwardContext(training: true)
        assertClose(ReLU().forward(x, ctx).toArray(), [0, 0, 2, logf(3)])
        assertClose(Sigmoid().forward(x, ctx).toArray(), [1 / (1 + expf(1)), 0.5, 1 / (1 + expf(-2)), 0.75], rtol: 1e-6)
        assertClose(Tanh().forward(x, ctx).toArray(), [tanhf(-1), 0, tanhf(2), 0.8], rtol: 1e-6)
        assertClose(Identity().forward(x, ctx).toArray(), x.toArray())
        assertClose(Softmax().forward(Tensor(shape: [1, 3], values: [0, logf(2), logf(5)]), ctx).toArray(), [0.125, 0.25, 0.625],
                    rtol: 1e-6)
    }

    func testSigmoidIsFiniteForLargeInputs() {
        let y = Sigmoid().forward(Tensor(shape: [1, 2], values: [-1000, 1000]), ForwardContext(training: true))
        XCTAssertEqual(y.toArray(), [0, 1])
    }

    func testGradientsAgainstFiniteDifferences() {
        let x = randomTensor([3, 6], seed: 11, lo: -2, hi: 2, awayFromZero: 0.05)
        let layers: [any Layer] = [ReLU(), Sigmoid(), Tanh(), Identity(), Softmax()]
        for layer in layers {
            _ = try? layer.build(inputShape: [6])
            checkGradients(layer, input: x)
        }
    }

    func testMatchPyTorch() throws {
        let cases: [(String, any Layer)] = [("act_relu", ReLU()), ("act_sigmoid", Sigmoid()), ("act_tanh", Tanh()),
                                            ("act_softmax", Softmax())]
        for (name, layer) in cases {
            let c = try TorchCase(name)
            let x = try c.tensor("x")
            _ = try layer.build(inputShape: Array(x.shape.dropFirst()))
            assertClose(layer.forward(x, ForwardContext(training: true)).toArray(), try c.values("y"), "\(name) y")
            assertClose(layer.backward(try c.tensor("gy"), needsInputGradient: true, nil)!.toArray(), try c.values("gx"), "\(name) gx")
        }
    }

    func testUnknownActivationNameIsAnError() {
        XCTAssertThrowsError(try Activations.make("relu6")) { XCTAssert("\($0)".contains("relu6")) }
    }
}

final class SequentialTests: XCTestCase {
    func testChildrenAreNamedLikePyTorchSequential() throws {
        let net = Sequential {
            Flatten()
            Dense(outputSize: 8)
            ReLU()
            Dense(outputSize: 2)
        }
        let model = try Model(inputShape: [1, 2, 2], root: net)
        XCTAssertEqual(model.parameters.map(\.name), ["1.weight", "1.bias", "3.weight", "3.bias"])
        XCTAssertEqual(model.outputShape, [2])
        XCTAssertEqual(model.arena.parameterCount, 4 * 8 + 8 + 8 * 2 + 2)
    }

    func testNestedPathsAndGradientReadyOrder() throws {
        let inner = Sequential { Dense(outputSize: 3); Tanh() }
        let net = Sequential { Flatten(); inner; Dense(outputSize: 2) }
        let model = try Model(inputShape: [4], root: net)
        XCTAssertEqual(model.parameters.map(\.name), ["1.0.weight", "1.0.bias", "2.weight", "2.bias"])
        model.arena.initialize(seed: 1)
        let x = randomTensor([2, 4], seed: 2)
        _ = model.forward(x, ForwardContext(training: true))
        var order: [String] = []
        model.backward(Tensor(shape: [2, 2], values: [1, 0, 0, 1])) { order += $0.map(\.name) }
        XCTAssertEqual(order, ["2.weight", "2.bias", "1.0.weight", "1.0.bias"], "backward reports the last layer first")
    }

    func testWholeNetworkGradient() throws {
        let net = Sequential { Flatten(); Dense(outputSize: 5); Tanh(); Dense(outputSize: 3); Sigmoid() }
        try bind(net, inputShape: [2, 2], seed: 5)
        checkGradients(net, input: randomTensor([4, 2, 2], seed: 6))
    }
}
