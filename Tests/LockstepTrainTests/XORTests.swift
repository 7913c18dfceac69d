import LockstepNN
import LockstepOptimizers
import LockstepTensor
import XCTest

/// The classic: XOR is not linearly separable, so one formal neuron cannot learn it, but a
/// 2-2-1 MLP can. The 2-2-1 net has local minima (measured here: about 60–70 % of random
/// initializations reach the solution with MSE + SGD momentum), so the test trains from
/// several seeds and asserts on all of them, instead of picking one lucky seed.
final class XORTests: XCTestCase {
    let x = Tensor(shape: [4, 2], values: [0, 0, 0, 1, 1, 0, 1, 1])
    let t = Tensor(shape: [4, 1], values: [0, 1, 1, 0])
    let xor = [false, true, true, false]

    /// Trains `makeNet()` from `seed`; returns the final loss and thresholded outputs.
    func train(seed: UInt64, _ makeNet: () -> Sequential) throws -> (loss: Float, first: Float, outputs: [Bool]) {
        let model = try Model(inputShape: [2], root: makeNet())
        model.arena.initialize(seed: seed)
        let loss = MeanSquaredError()
        let sgd = SGD(learningRate: 1.0, momentum: 0.9)
        var first: Float = 0, last: Float = 0
        for epoch in 0..<2000 {
            last = try loss.forward(model.forward(x, ForwardContext(training: true)), .values(t))
            if epoch == 0 { first = last }
            model.backward(loss.backward())
            sgd.step(model.arena)
        }
        return (last, first, model.forward(x, ForwardContext(training: false)).toArray().map { $0 > 0.5 })
    }

    func testTwoTwoOneMLPLearnsXOR() throws {
        var solved = 0
        for seed in UInt64(1)...10 {
            let r = try train(seed: seed) { Sequential { Dense(outputSize: 2); Tanh(); Dense(outputSize: 1); Sigmoid() } }
            if r.outputs == xor {
                solved += 1
                XCTAssertLessThan(r.loss, 0.01, "seed \(seed) separates XOR, so its loss must be near 0")
            }
            XCTAssertLessThan(r.loss, r.first, "seed \(seed): training must reduce the loss")
        }
        XCTAssertGreaterThanOrEqual(solved, 5, "most initializations of a 2-2-1 MLP learn XOR")
    }

    func testASingleNeuronCannotLearnXOR() throws {
        for seed in UInt64(1)...5 {
            let r = try train(seed: seed) { Sequential { Dense(outputSize: 1); Sigmoid() } }
            XCTAssertNotEqual(r.outputs, xor, "a linear boundary cannot separate XOR (seed \(seed))")
            XCTAssertGreaterThan(r.loss, 0.1)
        }
    }
}
