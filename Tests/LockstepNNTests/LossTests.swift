import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class LossTests: XCTestCase {
    func testCrossEntropyByHand() throws {
        let ce = SoftmaxCrossEntropy()
        let logits = Tensor(shape: [2, 3], values: [0, logf(2), logf(5), 1, 1, 1])
        let value = try ce.forward(logits, .classes([2, 0]))
        XCTAssertEqual(value, (-logf(0.625) + logf(3)) / 2, accuracy: 1e-6)
        assertClose(ce.backward().toArray(), [0.0625, 0.125, -0.1875, 1.0 / 6 - 0.5, 1.0 / 6, 1.0 / 6], rtol: 1e-5)
    }

    func testCrossEntropyIsStableForHugeLogits() throws {
        let ce = SoftmaxCrossEntropy()
        let value = try ce.forward(Tensor(shape: [1, 2], values: [1e4, -1e4]), .classes([1]))
        XCTAssertEqual(value, 2e4, accuracy: 1)
        XCTAssert(ce.backward().toArray().allSatisfy(\.isFinite))
    }

    func testMSEByHand() throws {
        let mse = MeanSquaredError()
        let value = try mse.forward(Tensor(shape: [1, 2], values: [1, 2]), .values(Tensor(shape: [1, 2], values: [0, 0])))
        XCTAssertEqual(value, 2.5)
        XCTAssertEqual(mse.backward().toArray(), [1, 2])
    }

    func testGradientsAgainstFiniteDifferences() throws {
        // Losses return Float32, so the step is larger than for layers: rounding of a loss
        // near 1 is ~1e-7, giving ~5e-6 error at eps 1e-2; the curvature term is O(eps²).
        try checkLossGradient(SoftmaxCrossEntropy(), prediction: randomTensor([4, 5], seed: 1, lo: -3, hi: 3),
                              targets: .classes([0, 4, 2, 2]), eps: 1e-2, rtol: 5e-3, atol: 2e-5)
        try checkLossGradient(MeanSquaredError(), prediction: randomTensor([3, 4], seed: 2), targets: .values(randomTensor([3, 4], seed: 3)),
                              eps: 1e-2, rtol: 5e-3, atol: 2e-5)
    }

    func testMatchPyTorch() throws {
        let ce = try TorchCase("loss_cross_entropy")
        let loss = SoftmaxCrossEntropy()
        let value = try loss.forward(try ce.tensor("x"), .classes(try ce.values("t").map { Int32($0) }))
        assertClose([value], try ce.values("y"), "cross entropy value")
        assertClose(loss.backward().toArray(), try ce.values("gx"), "cross entropy gradient")

        let m = try TorchCase("loss_mse")
        let mse = MeanSquaredError()
        let mv = try mse.forward(try m.tensor("x"), .values(try m.tensor("t")))
        assertClose([mv], try m.values("y"), "mse value")
        assertClose(mse.backward().toArray(), try m.values("gx"), "mse gradient")
    }

    func testLabelOutsideTheOutputsIsAnError() {
        XCTAssertThrowsError(try SoftmaxCrossEntropy().forward(Tensor(shape: [2, 3]), .classes([0, 3]))) { error in
            XCTAssert("\(error)".contains("label 3") && "\(error)".contains("0..<3"), "\(error)")
        }
    }
}
