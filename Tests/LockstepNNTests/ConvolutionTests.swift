import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class Conv2DTests: XCTestCase {
    func testForwardByHand() throws {
        // One 3×3 image 1..9, a 2×2 kernel [[1, 0], [0, −1]], bias 0.5: y = x[i,j] − x[i+1,j+1] + 0.5 = −3.5.
        let conv = Conv2D(outChannels: 1, kernel: 2)
        try bind(conv, inputShape: [1, 3, 3])
        conv.weight.value.assign([1, 0, 0, -1])
        conv.bias!.value.assign([0.5])
        let y = conv.forward(Tensor(shape: [1, 1, 3, 3], values: (1...9).map(Float.init)), ForwardContext(training: true))
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.toArray(), [-3.5, -3.5, -3.5, -3.5])
    }

    func testPaddingAndStrideShapes() throws {
        XCTAssertEqual(try Conv2D(outChannels: 4, kernel: 3, stride: 1, padding: 1).build(inputShape: [3, 9, 8]), [4, 9, 8])
        XCTAssertEqual(try Conv2D(outChannels: 4, kernel: 5, stride: 2, padding: 2).build(inputShape: [3, 9, 8]), [4, 5, 4])
        XCTAssertEqual(try Conv2D(outChannels: 4, kernel: 7, stride: 2, padding: 3).build(inputShape: [3, 224, 224]), [4, 112, 112])
    }

    func testKernelLargerThanThePaddedInputNamesTheLayerAndShapes() throws {
        let net = Sequential { Conv2D(outChannels: 2, kernel: 5); Conv2D(outChannels: 2, kernel: 5) }
        XCTAssertThrowsError(try Model(inputShape: [1, 7, 7], root: net)) { error in
            XCTAssert("\(error)".contains("layer 1 (Conv2D)") && "\(error)".contains("5×5 kernel") && "\(error)".contains("[2, 3, 3]"), "\(error)")
        }
    }

    func testGradientsAgainstFiniteDifferences() throws {
        for (k, s, p, bias) in [(3, 1, 1, true), (3, 2, 0, false), (1, 1, 0, true), (2, 2, 1, true)] {
            let conv = Conv2D(outChannels: 3, kernel: k, stride: s, padding: p, bias: bias)
            try bind(conv, inputShape: [2, 5, 4], seed: UInt64(k * 10 + s))
            checkGradients(conv, input: randomTensor([2, 2, 5, 4], seed: 3))
        }
    }

    /// The batch is cut into chunks that fit the workspace; any cut must give the same
    /// outputs and gradients as one GEMM over the whole batch.
    func testChunkedBatchesMatchTheWholeBatch() throws {
        let saved = Workspace.budget
        defer { Workspace.budget = saved }
        for (k, s, p) in [(3, 1, 1), (1, 1, 0), (3, 2, 0)] {
            var results: [[Float]] = []
            for budget in [saved, 800, 1] {  // whole batch; 2 samples per chunk for the 3×3/1; 1 per chunk
                Workspace.budget = budget
                let conv = Conv2D(outChannels: 3, kernel: k, stride: s, padding: p)
                try bind(conv, inputShape: [2, 5, 4], seed: 7)
                let x = randomTensor([5, 2, 5, 4], seed: 11)
                let out = conv.forward(x, ForwardContext(training: true))
                let y = out.toArray()
                let dx = conv.backward(randomTensor(out.shape, seed: 12), needsInputGradient: true, nil)!.toArray()
                results.append(y + dx + conv.weight.gradient.toArray() + conv.bias!.gradient.toArray())
            }
            assertClose(results[1], results[0], rtol: 1e-5, atol: 1e-6, "k\(k)s\(s)p\(p), chunks of 2")
            assertClose(results[2], results[0], rtol: 1e-5, atol: 1e-6, "k\(k)s\(s)p\(p), chunks of 1")
        }
    }

    func testMatchesPyTorch() throws {
        for (k, s, p, b) in [(3, 1, 1, 1), (5, 2, 2, 1), (1, 1, 0, 0), (3, 2, 0, 1), (7, 2, 3, 0)] {
            try TorchCase("conv_k\(k)s\(s)p\(p)b\(b)").check(Conv2D(outChannels: 4, kernel: k, stride: s, padding: p, bias: b == 1))
        }
    }
}

final class PoolingTests: XCTestCase {
    func testForwardByHand() throws {
        let x = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init))
        let ctx = ForwardContext(training: true)
        let mp = MaxPool2D(kernel: 2)
        _ = try mp.build(inputShape: [1, 4, 4])
        XCTAssertEqual(mp.forward(x, ctx).toArray(), [5, 7, 13, 15])
        let ap = AvgPool2D(kernel: 2)
        _ = try ap.build(inputShape: [1, 4, 4])
        XCTAssertEqual(ap.forward(x, ctx).toArray(), [2.5, 4.5, 10.5, 12.5])
        let gap = GlobalAvgPool()
        XCTAssertEqual(try gap.build(inputShape: [1, 4, 4]), [1, 1, 1])
        XCTAssertEqual(gap.forward(x, ctx).toArray(), [7.5])
        let adaptive = AdaptiveAvgPool2D(outputSize: (3, 3))
        _ = try adaptive.build(inputShape: [1, 2, 2])
        // Upsampling 2×2 → 3×3: bins [0,1), [0,2), [1,2) in each direction.
        XCTAssertEqual(adaptive.forward(Tensor(shape: [1, 1, 2, 2], values: [0, 2, 4, 6]), ctx).toArray(), [0, 1, 2, 2, 3, 4, 4, 5, 6])
    }

    func testGradientsAgainstFiniteDifferences() throws {
        // Distinct values keep max-pooling away from ties.
        let x = Tensor(shape: [2, 2, 5, 5], values: (0..<100).map { Float(($0 * 37) % 100) / 10 })
        let layers: [any Layer] = [MaxPool2D(kernel: 2), MaxPool2D(kernel: 3, stride: 2, padding: 1), AvgPool2D(kernel: 2),
                                   AvgPool2D(kernel: 3, stride: 1, padding: 1), GlobalAvgPool(), AdaptiveAvgPool2D(outputSize: (3, 2))]
        for layer in layers {
            _ = try layer.build(inputShape: [2, 5, 5])
            checkGradients(layer, input: x, eps: 1e-2)
        }
    }

    func testMatchPyTorch() throws {
        try TorchCase("maxpool_k2s2").check(MaxPool2D(kernel: 2, stride: 2))
        try TorchCase("maxpool_k3s2p1").check(MaxPool2D(kernel: 3, stride: 2, padding: 1))
        try TorchCase("avgpool_k2s2").check(AvgPool2D(kernel: 2, stride: 2))
        try TorchCase("avgpool_k3s1p1").check(AvgPool2D(kernel: 3, stride: 1, padding: 1))
        try TorchCase("globalavgpool").check(GlobalAvgPool())
        try TorchCase("flatten").check(Flatten())
    }
}

final class BatchNormTests: XCTestCase {
    func testTrainingNormalizesAndUpdatesRunningStatistics() throws {
        let bn = BatchNorm()
        try bind(bn, inputShape: [1])
        let y = bn.forward(Tensor(shape: [4, 1], values: [1, 2, 3, 4]), ForwardContext(training: true))
        let inv = 1 / (1.25 + 1e-5 as Float).squareRoot()
        assertClose(y.toArray(), [-1.5 * inv, -0.5 * inv, 0.5 * inv, 1.5 * inv], rtol: 1e-6)
        assertClose(bn.runningMean.value.toArray(), [0.25], rtol: 1e-6)
        assertClose(bn.runningVar.value.toArray(), [0.9 + 0.1 * 5.0 / 3], rtol: 1e-6, "unbiased variance")
        let e = bn.forward(Tensor(shape: [1, 1], values: [0.25]), ForwardContext(training: false))
        XCTAssertEqual(e[0], 0, accuracy: 1e-7, "evaluation uses running statistics")
    }

    func testGradientsAgainstFiniteDifferences() throws {
        for (shape, training) in [([3, 2, 2], true), ([3, 2, 2], false), ([4], true)] {
            let bn = BatchNorm()
            try bind(bn, inputShape: shape, seed: 2)
            bn.weight.value.assign((0..<bn.weight.count).map { 0.5 + Float($0) * 0.3 })
            bn.bias.value.assign((0..<bn.bias.count).map { Float($0) * 0.1 - 0.2 })
            // Running statistics change on every training forward; the loss must not depend on them there.
            checkGradients(bn, input: randomTensor([5] + shape, seed: 4), eps: 1e-2, rtol: 5e-3, atol: 5e-4, training: training)
        }
    }

    func testMatchPyTorch() throws {
        // make_torch_fixtures.py runs the eval case on the module of the train case without
        // zeroing .grad, so its grad_weight/grad_bias hold both cases' gradients (checked with
        // numpy when this test was written); the train case's are subtracted.
        for (name, training, earlier) in [("batchnorm2d_train", true, nil), ("batchnorm2d_eval", false, "batchnorm2d_train"),
                                          ("batchnorm1d_train", true, nil)] {
            let c = try TorchCase(name)
            let bn = BatchNorm()
            try c.check(bn, training: training, accumulatedOnto: try earlier.map { try TorchCase($0) })
            if training {
                assertClose(bn.runningMean.value.toArray(), try c.values("running_mean_after"), "\(name) running_mean")
                assertClose(bn.runningVar.value.toArray(), try c.values("running_var_after"), "\(name) running_var")
            }
        }
    }
}

final class DropoutTests: XCTestCase {
    func testTrainingDropsAboutPAndRescalesEvaluationIsIdentity() throws {
        let d = Dropout(probability: 0.3)
        _ = try d.build(inputShape: [1000])
        let x = Tensor(shape: [10, 1000])
        x.fill(1)
        let y = d.forward(x, ForwardContext(training: true, seed: 1, step: 5, rank: 0)).toArray()
        let kept = y.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 10000, 0.7, accuracy: 0.02)
        XCTAssert(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 })
        XCTAssertEqual(d.forward(x, ForwardContext(training: false)).toArray(), x.toArray())
    }

    func testMasksAreKeyedBySeedStepRankAndLayer() throws {
        func mask(step: Int, rank: Int, layer: UInt64 = 0) throws -> [Float] {
            let d = Dropout(probability: 0.5)
            d.layerKey = layer
            _ = try d.build(inputShape: [64])
            let x = Tensor(shape: [1, 64])
            x.fill(1)
            return d.forward(x, ForwardContext(training: true, seed: 9, step: step, rank: rank)).toArray()
        }
        XCTAssertEqual(try mask(step: 3, rank: 1), try mask(step: 3, rank: 1), "same key, same mask (resume)")
        XCTAssertNotEqual(try mask(step: 3, rank: 1), try mask(step: 4, rank: 1))
        XCTAssertNotEqual(try mask(step: 3, rank: 1), try mask(step: 3, rank: 0))
        XCTAssertNotEqual(try mask(step: 3, rank: 1), try mask(step: 3, rank: 1, layer: 7))
    }

    func testMasksKeyedBySampleDoNotDependOnTheBatchOrRank() throws {
        // Samples 5, 8, 13 as one batch on rank 0, or split over ranks 0 and 1: the same masks.
        func rows(_ samples: [Int], rank: Int) throws -> [[Float]] {
            let d = Dropout(probability: 0.5)
            d.layerKey = 3
            _ = try d.build(inputShape: [2, 16])
            let x = Tensor(shape: [samples.count, 2, 16])
            x.fill(1)
            let y = d.forward(x, ForwardContext(training: true, seed: 9, step: 4, rank: rank, samples: samples)).toArray()
            return (0..<samples.count).map { Array(y[($0 * 32)..<(($0 + 1) * 32)]) }
        }
        let together = try rows([5, 8, 13], rank: 0)
        XCTAssertEqual(try rows([5], rank: 0) + (try rows([8, 13], rank: 1)), together)
        XCTAssertNotEqual(together[0], together[1], "each sample its own mask")
        XCTAssertTrue(together[0].contains(0) && together[0].contains(2), "a mask over the whole sample (both channels)")
    }

    func testGradientUsesTheSameMask() throws {
        let d = Dropout(probability: 0.4)
        _ = try d.build(inputShape: [20])
        checkGradients(d, input: randomTensor([3, 20], seed: 1))
    }

    func testSiblingDropoutsGetDifferentKeys() throws {
        let a = Dropout(), b = Dropout()
        _ = try Model(inputShape: [4], root: Sequential { a; Sequential { b } })
        XCTAssertNotEqual(a.layerKey, b.layerKey)
    }
}

final class ResidualTests: XCTestCase {
    func testIdentityAndProjectionShortcuts() throws {
        let withReLU = Residual(body: Sequential(named: [("conv1", Conv2D(outChannels: 2, kernel: 3, padding: 1)), ("bn1", BatchNorm())]),
                                post: ReLU())
        XCTAssertEqual(try Model(inputShape: [2, 4, 4], root: withReLU).parameters.map(\.name),
                       ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"])
        // Finite differences with a smooth post-activation: after BatchNorm many values sit
        // near ReLU's kink, which a step of 1e-2 would cross.
        let identity = Residual(body: Sequential(named: [("conv1", Conv2D(outChannels: 2, kernel: 3, padding: 1)), ("bn1", BatchNorm())]),
                                post: Tanh())
        let model = try Model(inputShape: [2, 4, 4], root: identity)
        model.arena.initialize(seed: 3)
        checkGradients(identity, input: randomTensor([2, 2, 4, 4], seed: 5), eps: 1e-2, rtol: 5e-3, atol: 5e-4)

        let projected = Residual(body: Sequential(named: [("conv1", Conv2D(outChannels: 3, kernel: 3, stride: 2, padding: 1, bias: false))]),
                                 shortcut: Sequential { Conv2D(outChannels: 3, kernel: 1, stride: 2, bias: false); BatchNorm() })
        let m2 = try Model(inputShape: [2, 4, 4], root: projected)
        XCTAssertEqual(m2.parameters.map(\.name), ["conv1.weight", "downsample.0.weight", "downsample.1.weight", "downsample.1.bias"])
        XCTAssertEqual(m2.root.buffers.map(\.name), ["downsample.1.running_mean", "downsample.1.running_var"])
        m2.arena.initialize(seed: 4)
        checkGradients(projected, input: randomTensor([3, 2, 4, 4], seed: 6), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
    }

    func testMismatchedShortcutIsAnError() {
        let r = Residual(body: Sequential { Conv2D(outChannels: 3, kernel: 3, padding: 1) })
        XCTAssertThrowsError(try Model(inputShape: [2, 4, 4], root: r)) {
            XCTAssert("\($0)".contains("identity shortcut needs equal shapes"), "\($0)")
        }
    }
}

/// Kernels split over threads (im2col, col2im, BatchNorm channels, activations, residual sums)
/// must give bit-identical results for any thread count: every element is computed by one
/// thread in the same order.
final class ThreadSplitTests: XCTestCase {
    func testResidualBlockIsIdenticalOnOneAndThreeThreads() throws {
        let saved = Parallel.threads, savedWork = Parallel.minimumWork
        defer { Parallel.threads = saved; Parallel.minimumWork = savedWork }
        Parallel.minimumWork = 1024  // so that every kernel of this small block splits
        var results: [[Float]] = []
        for threads in [1, 3] {
            Parallel.threads = threads
            let body = Sequential(named: [("conv1", Conv2D(outChannels: 4, kernel: 3, padding: 1, bias: false)),
                                          ("bn1", BatchNorm()), ("relu", try Activations.make("relu")),
                                          ("conv2", Conv2D(outChannels: 4, kernel: 3, stride: 2, padding: 1, bias: false))])
            let shortcut = Sequential(named: [("0", Conv2D(outChannels: 4, kernel: 1, stride: 2, bias: false))])
            let block = Residual(body: body, shortcut: shortcut)
            let arena = try bind(block, inputShape: [3, 32, 32], seed: 5)
            let x = randomTensor([16, 3, 32, 32], seed: 6)
            let y = block.forward(x, ForwardContext(training: true))
            let dx = block.backward(randomTensor(y.shape, seed: 7), needsInputGradient: true, nil)!
            results.append(y.toArray() + dx.toArray() + Array(UnsafeBufferPointer(start: arena.gradients, count: arena.count)))
        }
        XCTAssertEqual(results[0], results[1])
    }

    /// Conv2D's chunks run side by side and its gradients are summed per run of chunks: with a
    /// bias, a frozen weight, or no input gradient, 1 and 3 threads give the same bits, and
    /// OpenBLAS gets its thread count back.
    func testConvolutionChunksAreIdenticalOnOneAndThreeThreads() throws {
        let saved = Parallel.threads, blas = BLAS.threads
        defer { Parallel.threads = saved }
        for (frozen, inputGradient) in [(false, true), (true, true), (false, false)] {
            var results: [[Float]] = []
            for threads in [1, 3] {
                Parallel.threads = threads
                let conv = Conv2D(outChannels: 5, kernel: 3, padding: 1)
                try bind(conv, inputShape: [3, 40, 40], seed: 8)  // 1,600 positions: a chunk per sample
                conv.weight.isFrozen = frozen
                let x = randomTensor([11, 3, 40, 40], seed: 9)
                let y = conv.forward(x, ForwardContext(training: true))
                let dx = conv.backward(randomTensor(y.shape, seed: 10), needsInputGradient: inputGradient, nil)
                results.append(y.toArray() + (dx?.toArray() ?? []) + conv.bias!.gradient.toArray()
                               + (frozen ? [] : conv.weight.gradient.toArray()))
                XCTAssertEqual(BLAS.threads, blas, "OpenBLAS's thread count is restored")
            }
            XCTAssertEqual(results[0], results[1], "frozen \(frozen), input gradient \(inputGradient)")
        }
    }

    /// A Winograd convolution's chunks run side by side, and within one chunk its transforms
    /// split channels over threads: either way 1 and 3 threads give the same bits. (OpenBLAS
    /// stays at 1 thread: when it threads a GEMM itself, as it may in the 1-thread run of the
    /// weight gradient's, it can pick other kernels.)
    func testWinogradIsIdenticalOnOneAndThreeThreads() throws {
        let saved = Parallel.threads, savedWork = Parallel.minimumWork, blas = BLAS.threads
        defer { Parallel.threads = saved; Parallel.minimumWork = savedWork; BLAS.threads = blas }
        BLAS.threads = 1
        Parallel.minimumWork = 1024  // so that the transforms of a single chunk split
        for batch in [7, 1] {  // 144 tiles a sample: 4 chunks of 2 samples, or one chunk
            var results: [[Float]] = []
            for threads in [1, 3] {
                Parallel.threads = threads
                let conv = Conv2D(outChannels: 16, kernel: 3, padding: 1)
                try bind(conv, inputShape: [16, 24, 24], seed: 8)
                XCTAssertTrue(conv.usesWinograd)
                let y = conv.forward(randomTensor([batch, 16, 24, 24], seed: 9), ForwardContext(training: true))
                let dx = conv.backward(randomTensor(y.shape, seed: 10), needsInputGradient: true, nil)!
                results.append(y.toArray() + dx.toArray() + conv.parameters.flatMap { $0.gradient.toArray() })
            }
            let firstDifference = zip(results[0], results[1]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            XCTAssertNil(firstDifference, "batch \(batch): outputs, input gradients, then weight and bias gradients")
        }
    }

    /// Recurrent layers run parts of the batch through time on separate threads: 1 and 3
    /// threads give the same outputs and gradients (also with 7 samples, which do not divide
    /// evenly), to rounding: OpenBLAS may pick another kernel for a part's smaller GEMMs.
    func testRecurrentBatchPartsAreIdenticalOnOneAndThreeThreads() throws {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        let makers: [(String, () -> any Layer)] = [
            ("LSTM", { LSTM(hiddenSize: 6, layers: 2, bidirectional: true, returnSequences: true) }),
            ("GRU", { GRU(hiddenSize: 6, layers: 2, bidirectional: true, returnSequences: true) }),
            ("RNN", { RNN(hiddenSize: 6, layers: 2, bidirectional: true, returnSequences: true) }),
            ("RNN relu", { RNN(hiddenSize: 6, relu: true, returnSequences: false) }),
        ]
        for (name, make) in makers {
            var results: [[Float]] = []
            for threads in [1, 3] {
                Parallel.threads = threads
                let layer = make()
                let arena = try bind(layer, inputShape: [5, 4], seed: 12)
                let x = randomTensor([7, 5, 4], seed: 13)
                let y = layer.forward(x, ForwardContext(training: true))
                let dx = layer.backward(randomTensor(y.shape, seed: 14), needsInputGradient: true, nil)!
                results.append(y.toArray() + dx.toArray() + Array(UnsafeBufferPointer(start: arena.gradients, count: arena.count)))
            }
            assertClose(results[1], results[0], rtol: 1e-5, atol: 1e-6, name)
        }
    }

    func testPartsCoverTheRangeOnceEach() {
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 4
        let hits = UnsafeMutablePointer<Int32>.allocate(capacity: 103)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0, count: 103)
        Parallel.forEachPart(103) { part in for i in part { hits[i] += 1 } }
        XCTAssert((0..<103).allSatisfy { hits[$0] == 1 })
    }
}
