import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// Winograd's F(2×2, 3×3) must compute the same convolution as im2col, to rounding, on every
/// padding it takes, odd and even sizes (half tiles at the edges), several chunks, with and
/// without bias, and give gradients that agree with finite differences.
final class WinogradTests: XCTestCase {
    override func tearDown() {
        Conv2D.winogradEnabled = true
        VectorKernels.use(VectorKernels.best)
    }

    /// Output, input gradient and parameter gradients of a 3×3 stride-1 convolution,
    /// by Winograd or by im2col (a frozen weight's gradient and a skipped input gradient left out).
    private func run(winograd: Bool, channels c: Int, out o: Int, height h: Int, width w: Int, padding p: (Int, Int),
                     bias: Bool, batch n: Int, frozen: Bool = false, inputGradient: Bool = true) throws -> (conv: Conv2D, values: [Float]) {
        Conv2D.winogradEnabled = winograd
        let conv = Conv2D(outChannels: o, kernel: (3, 3), stride: (1, 1), padding: p, bias: bias)
        try bind(conv, inputShape: [c, h, w], seed: 5)
        if let b = conv.bias { b.value.assign((0..<o).map { Float($0) * 0.1 - 0.4 }) }
        conv.weight.isFrozen = frozen
        let y = conv.forward(randomTensor([n, c, h, w], seed: 8), ForwardContext(training: true))
        let dx = conv.backward(randomTensor(y.shape, seed: 9), needsInputGradient: inputGradient, nil)
        XCTAssertEqual(dx == nil, !inputGradient)
        let gradients = conv.parameters.filter { !$0.isFrozen }.flatMap { $0.gradient.toArray() }
        return (conv, y.toArray() + (dx?.toArray() ?? []) + gradients)
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
            let label = "C\(k.c) O\(k.o) \(k.h)×\(k.w) pad \(k.p) bias \(k.bias) batch \(k.n), \(VectorKernels.level) kernels"
            let fast = try run(winograd: true, channels: k.c, out: k.o, height: k.h, width: k.w, padding: k.p, bias: k.bias, batch: k.n)
            XCTAssertTrue(fast.conv.usesWinograd, label)
            let slow = try run(winograd: false, channels: k.c, out: k.o, height: k.h, width: k.w, padding: k.p, bias: k.bias, batch: k.n)
            XCTAssertFalse(slow.conv.usesWinograd, label)
            assertClose(fast.values, slow.values, rtol: 1e-4, atol: 2e-5, label)
        }
    }

    /// The transforms are compiled once per instruction set; every set this CPU runs (so on an
    /// AVX-512 machine, also AVX2's and baseline x86-64's code) gives the same bits: they only
    /// add, subtract and halve, element by element.
    func testEveryInstructionSetGivesTheSameBits() throws {
        var results: [[Float]] = []
        for level in VectorKernels.available {
            XCTAssertTrue(VectorKernels.use(level), "\(level)")
            XCTAssertEqual(VectorKernels.level, level)
            results.append(try run(winograd: true, channels: 16, out: 20, height: 7, width: 9, padding: (1, 1), bias: true, batch: 3).values)
        }
        for (level, values) in zip(VectorKernels.available, results) {
            XCTAssertEqual(values, results[0], "\(level) against \(VectorKernels.available[0])")
        }
    }

    func testAnUnknownOrUnrunnableInstructionSetIsAClearError() throws {
        defer { unsetenv("LOCKSTEP_KERNELS") }
        setenv("LOCKSTEP_KERNELS", "avx1024", 1)
        XCTAssertThrowsError(try VectorKernels.verify()) {
            XCTAssert("\($0)".contains("LOCKSTEP_KERNELS is \"avx1024\"; expected baseline, avx2 or avx512"), "\($0)")
        }
        setenv("LOCKSTEP_KERNELS", "baseline", 1)
        XCTAssertNoThrow(try VectorKernels.verify())
        XCTAssertEqual(VectorKernels.report(), "\(VectorKernels.level) (LOCKSTEP_KERNELS=baseline)")
        if VectorKernels.best < .avx512 {
            setenv("LOCKSTEP_KERNELS", "avx512", 1)
            XCTAssertThrowsError(try VectorKernels.verify()) { XCTAssert("\($0)".contains("which this CPU cannot run"), "\($0)") }
            XCTAssertFalse(VectorKernels.use(.avx512))
        }
    }

    /// Several chunks and two runs of weight-gradient partials (a small workspace), a frozen
    /// weight, no input gradient, 1×1 outputs and an empty batch, against im2col.
    func testChunkRunsAndEdgeCasesMatchIm2col() throws {
        let saved = Workspace.budget
        defer { Workspace.budget = saved }
        Workspace.budget = 1536  // 16 → 24 channels on 6×6: a sample per chunk, the weight gradient in 2 runs
        let cases: [(h: Int, w: Int, p: (Int, Int), n: Int, frozen: Bool, inputGradient: Bool)] = [
            (6, 6, (1, 1), 5, false, true), (6, 6, (1, 1), 5, true, true), (6, 6, (1, 1), 5, false, false),
            (3, 3, (0, 0), 4, false, true), (1, 1, (1, 1), 3, false, true), (6, 6, (1, 1), 0, false, true),
        ]
        for k in cases {
            let label = "\(k.h)×\(k.w) pad \(k.p) batch \(k.n) frozen \(k.frozen) input gradient \(k.inputGradient)"
            let fast = try run(winograd: true, channels: 16, out: 24, height: k.h, width: k.w, padding: k.p, bias: true, batch: k.n,
                               frozen: k.frozen, inputGradient: k.inputGradient)
            let slow = try run(winograd: false, channels: 16, out: 24, height: k.h, width: k.w, padding: k.p, bias: true, batch: k.n,
                               frozen: k.frozen, inputGradient: k.inputGradient)
            XCTAssertTrue(fast.conv.usesWinograd, label)
            XCTAssertEqual(fast.values.count, slow.values.count, label)
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

    func testOnlyThreeByThreeStrideOneLayersWithEnoughInputChannelsUseIt() throws {
        func uses(_ conv: Conv2D, _ shape: [Int]) throws -> Bool { _ = try conv.build(inputShape: shape); return conv.usesWinograd }
        XCTAssertTrue(try uses(Conv2D(outChannels: 16, kernel: 3, padding: 1), [16, 8, 8]))
        XCTAssertTrue(try uses(Conv2D(outChannels: 3, kernel: 3, padding: 1), [64, 8, 8]), "64 → 3 channels")
        XCTAssertTrue(try uses(Conv2D(outChannels: 4, kernel: 3, padding: 1), [4, 8, 8]), "4 → 4 channels")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 3, padding: 1), [3, 8, 8]), "3 input channels")
        XCTAssertFalse(try uses(Conv2D(outChannels: 64, kernel: 3, padding: 1), [4, 8, 8]), "4 → 64 channels")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 3, stride: 2, padding: 1), [16, 8, 8]), "stride 2")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 5, padding: 2), [16, 8, 8]), "5×5")
        XCTAssertFalse(try uses(Conv2D(outChannels: 16, kernel: 3, padding: 3), [16, 8, 8]), "padding 3")
    }
}
