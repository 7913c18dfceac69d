import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// Winograd's F(2×2, 3×3) must compute the same convolution as im2col, to rounding, on every
/// padding it takes, odd and even sizes (half tiles at the edges), several chunks, with and
/// without bias, and give gradients that agree with finite differences.
final class WinogradTests: XCTestCase {
    override func tearDown() { Conv2D.winogradEnabled = true }

    /// Output, input gradient and parameter gradients of a 3×3 stride-1 convolution,
    /// by Winograd or by im2col.
    private func run(winograd: Bool, channels c: Int, out o: Int, height h: Int, width w: Int, padding p: (Int, Int),
                     bias: Bool, batch n: Int) throws -> (conv: Conv2D, values: [Float]) {
        Conv2D.winogradEnabled = winograd
        let conv = Conv2D(outChannels: o, kernel: (3, 3), stride: (1, 1), padding: p, bias: bias)
        try bind(conv, inputShape: [c, h, w], seed: 5)
        if let b = conv.bias { b.value.assign((0..<o).map { Float($0) * 0.1 - 0.4 }) }
        let y = conv.forward(randomTensor([n, c, h, w], seed: 8), ForwardContext(training: true))
        let dx = conv.backward(randomTensor(y.shape, seed: 9), needsInputGradient: true, nil)!
        return (conv, y.toArray() + dx.toArray() + conv.parameters.flatMap { $0.gradient.toArray() })
    }

    func testMatchesIm2colOnEveryPaddingAndSize() throws {
        let cases: [(c: Int, o: Int, h: Int, w: Int, p: (Int, Int), bias: Bool, n: Int)] = [
            (16, 16, 8, 8, (1, 1), true, 3),    // even "same" convolution
            (16, 20, 7, 5, (1, 1), false, 2),   // odd sizes: half tiles on both edges
            (17, 16, 9, 6, (0, 0), true, 2),    // valid convolution
            (16, 18, 4, 5, (2, 2), true, 1),    // full padding, one sample
            (20, 16, 6, 7, (2, 0), false, 3),   // different paddings per side
            (32, 32, 2, 2, (1, 1), true, 37),   // a ResNet's last stage: many samples, 1 tile each
        ]
        for k in cases {
            let label = "C\(k.c) O\(k.o) \(k.h)×\(k.w) pad \(k.p) bias \(k.bias) batch \(k.n)"
            let fast = try run(winograd: true, channels: k.c, out: k.o, height: k.h, width: k.w, padding: k.p, bias: k.bias, batch: k.n)
            XCTAssertTrue(fast.conv.usesWinograd, label)
            let slow = try run(winograd: false, channels: k.c, out: k.o, height: k.h, width: k.w, padding: k.p, bias: k.bias, batch: k.n)
            XCTAssertFalse(slow.conv.usesWinograd, label)
            assertClose(fast.values, slow.values, rtol: 1e-4, atol: 2e-5, label)
        }
    }

    func testGradientsAgainstFiniteDifferences() throws {
        let conv = Conv2D(outChannels: 16, kernel: (3, 3), stride: (1, 1), padding: (1, 1), bias: true)
        try bind(conv, inputShape: [16, 3, 5], seed: 4)
        XCTAssertTrue(conv.usesWinograd)
        // The layer is linear in its input and weights, so a large step costs no accuracy and
        // keeps the float32 rounding of a 16-channel sum well below the tolerance.
        checkGradients(conv, input: randomTensor([2, 16, 3, 5], seed: 6), eps: 0.05)
    }

    /// Chunks of the batch (a small workspace) give what the whole batch at once gives.
    func testChunksMatchTheWholeBatch() throws {
        let saved = Workspace.budget
        defer { Workspace.budget = saved }
        var results: [[Float]] = []
        for budget in [saved, 1] {
            Workspace.budget = budget
            results.append(try run(winograd: true, channels: 16, out: 24, height: 6, width: 6, padding: (1, 1), bias: true, batch: 5).values)
        }
        assertClose(results[1], results[0], rtol: 1e-5, atol: 1e-5, "chunks of 1 sample")
    }

    func testOnlyWideThreeByThreeStrideOneLayersUseIt() throws {
        func uses(_ conv: Conv2D, _ shape: [Int]) throws -> Bool { _ = try conv.build(inputShape: shape); return conv.usesWinograd }
        XCTAssertTrue(try uses(Conv2D(outChannels: 16, kernel: 3, padding: 1), [16, 8, 8]))
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 3, padding: 1), [3, 8, 8]), "3 input channels")
        XCTAssertFalse(try uses(Conv2D(outChannels: 8, kernel: 3, padding: 1), [16, 8, 8]), "8 output channels")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 3, stride: 2, padding: 1), [16, 8, 8]), "stride 2")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 5, padding: 2), [16, 8, 8]), "5×5")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 3, padding: 3), [16, 8, 8]), "padding 3")
    }
}
