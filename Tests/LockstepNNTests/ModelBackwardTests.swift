import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// A layer written outside LockstepNN, with only its public API: y = a ⊙ x + c per feature.
/// It must work with the arena, accumulation and the gradients-ready report like a built-in one.
final class FeatureAffine: Layer {
    var kind: String { "FeatureAffine" }
    private(set) var scale: Parameter!
    private(set) var shift: Parameter!
    var parameters: [Parameter] { [scale, shift] }
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 else { throw LayerError.shape(self, expected: "[features]", got: inputShape) }
        scale = Parameter(name: "scale", shape: inputShape, initializer: .uniform(bound: 1))
        shift = Parameter(name: "shift", shape: inputShape, initializer: .uniform(bound: 1))
        return inputShape
    }

    func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        self.input = input
        output.resize(input.shape)
        let f = scale.count, a = scale.value.data, c = shift.value.data, x = input.data, y = output.data
        for i in 0..<input.count { y[i] = a[i % f] * x[i] + c[i % f] }
        return output
    }

    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { return nil }
        let f = scale.count, dy = outputGradient.data, x = input.data
        let da = scale.gradient.data, dc = shift.gradient.data
        scale.gradient.fill(0)
        shift.gradient.fill(0)
        for i in 0..<input.count {
            da[i % f] += dy[i] * x[i]
            dc[i % f] += dy[i]
        }
        guard needsInputGradient else { return nil }
        inputGradient.resize(input.shape)
        let a = scale.value.data, dx = inputGradient.data
        for i in 0..<input.count { dx[i] = a[i % f] * dy[i] }
        return inputGradient
    }
}

final class ModelBackwardTests: XCTestCase {
    private let context = ForwardContext(training: true, seed: 5, step: 1)

    /// L = Σ model(x)·r, in Double.
    private func weightedSum(_ model: Model, _ x: Tensor, _ r: Tensor) -> Double {
        let y = model.forward(x, context)
        return (0..<y.count).reduce(0.0) { $0 + Double(y[$1]) * Double(r[$1]) }
    }

    private func smallConvNet() throws -> Model {
        let model = try Model(inputShape: [2, 5, 5], root: Sequential {
            Conv2D(outChannels: 3, kernel: 3, padding: 1)
            Activation(TanhFunction())
            AvgPool2D(kernel: 2)
            Flatten()
            Dense(outputSize: 4)
            FeatureAffine()
        })
        model.arena.initialize(seed: 11)
        return model
    }

    func testInputGradientAgainstFiniteDifferences() throws {
        let model = try smallConvNet()
        // A frozen first layer still passes the gradient through to the input.
        model.parameters[0].isFrozen = true
        let x = randomTensor([3, 2, 5, 5], seed: 2), r = randomTensor([3, 4], seed: 3)
        _ = model.forward(x, context)
        guard let gx = model.backward(r, needsInputGradient: true) else { return XCTFail("no input gradient returned") }
        XCTAssertEqual(gx.shape, x.shape)
        let analytic = gx.toArray()
        assertClose(analytic, numericGradient(x.data, count: x.count) { weightedSum(model, x, r) }, rtol: 2e-3, atol: 2e-4,
                    "input gradient")
        XCTAssertNil(model.backward(r), "no input gradient unless asked")
    }

    func testAccumulatedPassesAddUp() throws {
        let model = try smallConvNet()
        let x1 = randomTensor([2, 2, 5, 5], seed: 4), x2 = randomTensor([3, 2, 5, 5], seed: 5)
        let r1 = randomTensor([2, 4], seed: 6), r2 = randomTensor([3, 4], seed: 7)
        func gradients(of x: Tensor, _ r: Tensor) -> [Float] {
            _ = model.forward(x, context)
            model.backward(r)
            return Array(model.arena.gradientBuffer)
        }
        let g1 = gradients(of: x1, r1), g2 = gradients(of: x2, r2)

        // What a reducer would read when told a parameter is ready: the sum already.
        var seenAtReady: [String: [Float]] = [:]
        _ = model.forward(x1, context)
        model.backward(r1)
        _ = model.forward(x2, context)
        model.backward(r2, accumulate: true) { ready in
            for p in ready { seenAtReady[p.name] = p.gradient.toArray() }
        }
        let sum = Array(model.arena.gradientBuffer)
        assertClose(sum, zip(g1, g2).map { $0 + $1 }, rtol: 1e-6, atol: 1e-7, "accumulated gradients")
        XCTAssertEqual(Set(seenAtReady.keys), Set(model.parameters.map(\.name)), "every parameter reported ready")
        for p in model.parameters {
            XCTAssertEqual(seenAtReady[p.name], p.gradient.toArray(), "\(p.name) was reported before its sum was complete")
        }

        model.zeroGradients()
        XCTAssertTrue(model.arena.gradientBuffer.allSatisfy { $0 == 0 })
        _ = model.forward(x2, context)
        model.backward(r2, accumulate: true)
        XCTAssertEqual(Array(model.arena.gradientBuffer), g2, "accumulating onto zero gives the pass alone, bitwise")
    }

    /// Two networks in a chain, as a GAN's generator and discriminator: the discriminator's
    /// input gradient drives the generator's backward pass.
    func testGradientFlowsFromOneModelIntoAnother() throws {
        let generator = try Model(inputShape: [3], root: Sequential {
            Dense(outputSize: 5)
            Activation(TanhFunction())
            FeatureAffine()
        })
        let discriminator = try Model(inputShape: [5], root: Sequential {
            Dense(outputSize: 4)
            Activation(LeakyReLUFunction(slope: 0.2))
            Dense(outputSize: 1)
        })
        generator.arena.initialize(seed: 1)
        discriminator.arena.initialize(seed: 2)
        let z = randomTensor([4, 3], seed: 8), r = randomTensor([4, 1], seed: 9)
        func loss() -> Double {
            let y = discriminator.forward(generator.forward(z, context), context)
            return (0..<y.count).reduce(0.0) { $0 + Double(y[$1]) * Double(r[$1]) }
        }
        _ = discriminator.forward(generator.forward(z, context), context)
        let gFake = discriminator.backward(r, needsInputGradient: true)!
        generator.backward(gFake)
        for p in generator.parameters {
            let analytic = p.gradient.toArray()
            assertClose(analytic, numericGradient(p.value.data, count: p.count, loss), rtol: 2e-3, atol: 2e-4,
                        "generator \(p.name) through the discriminator")
        }
    }

    func testCustomLayerAgainstFiniteDifferences() throws {
        let layer = FeatureAffine()
        try bind(layer, inputShape: [6], seed: 3)
        checkGradients(layer, input: randomTensor([4, 6], seed: 12))
    }
}
