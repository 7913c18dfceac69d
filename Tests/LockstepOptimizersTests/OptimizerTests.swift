import LockstepOptimizers
import LockstepTensor
import LockstepTestSupport
import XCTest

final class OptimizerTests: XCTestCase {
    /// One 10-element parameter, stepped three times with the fixture's gradients.
    private func replay(_ name: String, _ optimizer: any Optimizer) throws -> (got: [Float], expected: [Float]) {
        let c = try TorchCase(name)
        let p = Parameter(name: "p", shape: [10], initializer: .zeros)
        let arena = ParameterArena(parameters: [p])
        p.value.assign(try c.values("p0"))
        for i in 0..<3 {
            p.gradient.assign(try c.values("g\(i)"))
            optimizer.step(arena)
        }
        return (p.value.toArray(), try c.values("p3"))
    }

    func testMatchPyTorch() throws {
        let cases: [(String, any Optimizer)] = [
            ("optim_sgd", SGD(learningRate: 0.1)),
            ("optim_sgd_momentum", SGD(learningRate: 0.1, momentum: 0.9)),
            ("optim_sgd_nesterov", SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)),
            ("optim_sgd_momentum_wd", SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)),
            ("optim_adam", Adam(learningRate: 0.01)),
            ("optim_adamw", Adam(learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true)),
        ]
        for (name, optimizer) in cases {
            let (got, expected) = try replay(name, optimizer)
            assertClose(got, expected, rtol: 1e-5, atol: 1e-6, name)
        }
    }

    /// Data-parallel training hands the optimizer the ranks' summed gradients with
    /// a gradient scale of 1/ranks: the result must equal stepping on the averaged gradients.
    func testGradientScaleEqualsSteppingOnScaledGradients() throws {
        let cases: [(String, any Optimizer, any Optimizer)] = [
            ("optim_sgd_nesterov", SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)),
            ("optim_sgd_momentum_wd", SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01), SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)),
            ("optim_adamw", Adam(learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true),
             Adam(learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true)),
        ]
        for (name, plain, scaled) in cases {
            let c = try TorchCase(name)
            let p = Parameter(name: "p", shape: [10], initializer: .zeros), q = Parameter(name: "p", shape: [10], initializer: .zeros)
            let pa = ParameterArena(parameters: [p]), qa = ParameterArena(parameters: [q])
            p.value.assign(try c.values("p0"))
            q.value.assign(try c.values("p0"))
            for i in 0..<3 {
                let g = try c.values("g\(i)")
                p.gradient.assign(g)
                q.gradient.assign(g.map { 4 * $0 })  // the sum over 4 ranks with equal gradients
                plain.step(pa)
                scaled.step(qa, gradientScale: 0.25)
            }
            XCTAssertEqual(q.value.toArray(), p.value.toArray(), name)
        }
    }

    func testSGDMomentumByHand() {
        let p = Parameter(name: "p", shape: [1], initializer: .zeros)
        let arena = ParameterArena(parameters: [p])
        let sgd = SGD(learningRate: 0.5, momentum: 0.5)
        p.value[0] = 1
        p.gradient[0] = 2
        sgd.step(arena)  // b = 2, p = 1 - 1 = 0
        XCTAssertEqual(p.value[0], 0)
        sgd.step(arena)  // b = 0.5·2 + 2 = 3, p = 0 - 1.5
        XCTAssertEqual(p.value[0], -1.5)
        XCTAssertEqual(sgd.slots.first?.name, "momentum")
    }

    func testAdamFirstStepMovesByLearningRate() {
        let p = Parameter(name: "p", shape: [2], initializer: .zeros)
        let arena = ParameterArena(parameters: [p])
        p.gradient.assign([3, -0.001])
        Adam(learningRate: 0.1).step(arena)
        assertClose(p.value.toArray(), [-0.1, 0.1], rtol: 1e-4)
    }

    func testPaddingStaysZero() {
        let a = Parameter(name: "a", shape: [3], initializer: .ones), b = Parameter(name: "b", shape: [2], initializer: .ones)
        let arena = ParameterArena(parameters: [a, b])
        arena.initialize(seed: 0)
        a.gradient.fill(1)
        b.gradient.fill(1)
        let opts: [any Optimizer] = [SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1), Adam(weightDecay: 0.1),
                                     Adam(weightDecay: 0.1, decoupledWeightDecay: true)]
        for opt in opts {
            opt.step(arena)
            XCTAssert((3..<16).allSatisfy { arena.values[$0] == 0 } && (18..<32).allSatisfy { arena.values[$0] == 0 }, opt.name)
        }
    }
}
