import LockstepTensor

/// 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`), by im2col + sgemm.
///
/// Shapes: x [N, C, H, W], W [O, C, kH, kW] (OIHW), b [O], y [N, O, H′, W′] with
/// H′ = ⌊(H + 2p − kH)/s⌋ + 1. Per sample: cols = im2col(x_n) [C·kH·kW, H′W′],
/// y_n = W·cols + b. Backward: dW += dy_n·colsᵀ, db += Σ dy_n, dx_n = col2im(Wᵀ·dy_n).
/// A 1×1 stride-1 unpadded convolution skips im2col (cols is x_n itself). A 3×3 stride-1
/// convolution where `winogradPays` computes its output
/// and all its gradients by Winograd's F(2×2, 3×3) instead (2.25× fewer multiplications; see
/// `Winograd` and `Conv2D+Winograd.swift`). As for every layer, backward follows the forward
/// pass of the same batch with the same weights (Winograd's data gradient reuses the kernels
/// forward transformed).
/// Initialization: He normal (fan-in C·kH·kW) by default; bias zeros.
public final class Conv2D: Layer {
    public var kind: String { "Conv2D" }
    public let outChannels: Int
    public let kernel: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let useBias: Bool
    public let weightInitializer: Initializer
    public private(set) var weight: Parameter!
    public private(set) var bias: Parameter?
    var geometry: ConvGeometry!
    /// Whether output and gradients go through `Winograd` (decided by `build`).
    public private(set) var usesWinograd = false

    var input: Tensor?
    let output = Tensor(shape: [0])
    let inputGradient = Tensor(shape: [0])
    /// The kernels as Winograd's U, from forward, for forward and the data gradient.
    let transformedKernels = Tensor(shape: [0])

    public convenience init(outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
                weightInitializer: Initializer = .heNormal) {
        self.init(outChannels: outChannels, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding),
                  bias: bias, weightInitializer: weightInitializer)
    }

    public init(outChannels: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), bias: Bool = true,
                weightInitializer: Initializer = .heNormal) {
        precondition(outChannels > 0 && kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0 && padding.0 >= 0 && padding.1 >= 0,
                     "Conv2D needs positive channels, kernel and stride, and non-negative padding")
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.useBias = bias
        self.weightInitializer = weightInitializer
    }

    public var parameters: [Parameter] { [weight].compactMap { $0 } + (bias.map { [$0] } ?? []) }

    private var isPointwise: Bool { kernel == (1, 1) && stride == (1, 1) && padding == (0, 0) }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 else { throw LayerError.shape(self, expected: "[C, H, W]", got: inputShape) }
        let g = ConvGeometry(channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                             kernel: kernel, stride: stride, padding: padding)
        guard g.fits else {
            throw LayerError.shape(self, expected: "an image at least as large as the \(kernel.0)×\(kernel.1) kernel after padding \(padding.0)×\(padding.1)",
                                   got: inputShape)
        }
        geometry = g
        usesWinograd = Self.winogradEnabled && Winograd.applies(g)
            && Self.winogradPays(inChannels: g.channels, outChannels: outChannels)
        weight = Parameter(name: "weight", shape: [outChannels, g.channels, kernel.0, kernel.1], initializer: weightInitializer)
        if useBias { bias = Parameter(name: "bias", shape: [outChannels], initializer: .zeros) }
        return [outChannels, g.outH, g.outW]
    }

    /// Samples per GEMM: enough for `gemmColumns` output positions (a GEMM over a 4×4 map of
    /// one sample is too narrow to run well), no more, and never more than keep the im2col
    /// columns (and the transposed output) within the workspace budget: a small chunk's
    /// columns are still in cache when the GEMM reads them.
    private func chunkSize(_ n: Int) -> Int {
        let g = geometry!, hw = g.outH * g.outW
        let fit = Workspace.budget / max(max(g.patchSize, outChannels) * hw, 1)
        return max(1, min(n, fit, (Self.gemmColumns + hw - 1) / hw))
    }

    /// The output positions a GEMM should span at least.
    static let gemmColumns = 1024

    /// Whether layers built from now on may use Winograd's algorithm. Unsynchronized: only
    /// tests and benchmarks change it (to compare with im2col), before building a model.
    nonisolated(unsafe) public static var winogradEnabled = true

    /// Whether Winograd beats im2col for these channel counts. Its transforms cost per channel
    /// in and out, its savings per pair, so it needs enough input channels for each output
    /// channel. Forward + backward of one layer, 1 thread, best of 7 (ms, im2col → Winograd):
    /// 1→16 on 28×28 ×64: 0.95 → 2.03; 3→64 on 32×32 ×32: 4.12 → 7.73; 4→64: 4.67 → 6.92;
    /// 8→64: 8.59 → 8.31; 4→4 on 28×28 ×64: 1.48 → 1.10; 6→16: 3.79 → 3.37; 8→8: 3.60 → 2.12;
    /// 16→16: 9.48 → 5.45; 16→1: 5.50 → 2.20; 64→3 on 32×32 ×32: 19.97 → 8.06.
    public static func winogradPays(inChannels c: Int, outChannels k: Int) -> Bool { c >= 4 && 8 * c >= k }

    /// Partial weight gradients a backward pass sums: its chunks are cut into this many runs
    /// of consecutive chunks, which threads take one at a time. Fixed by the layer's shape and
    /// the batch, never by the thread count, so how runs are spread over threads never changes
    /// the bits: at most 8 runs, and at most 1 + 4× the workspace budget ÷ `partialCount` (the
    /// floats of one partial sum: the weights for im2col, the transformed kernels for Winograd,
    /// whose partials then take at most one sum plus 4× the budget).
    func gradientRuns(chunks: Int, partialCount: Int) -> Int {
        max(1, min(chunks, 8, 1 + 4 * Workspace.budget / max(partialCount, 1)))
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let g = geometry!
        let n = input.shape[0], inSize = g.channels * g.height * g.width, outSize = outChannels * g.outH * g.outW
        self.input = input
        output.resize([n, outChannels, g.outH, g.outW])
        if usesWinograd { forwardWinograd(input); return output }
        let x = input.data, y = output.data
        forEachChunk(samples: n, size: chunkSize(n)) { samples in
            forward(x + samples.lowerBound * inSize, into: y + samples.lowerBound * outSize, samples: samples.count)
        }
        return output
    }

    /// Runs `body` on the batch's samples cut into chunks of `chunk`: chunks are independent,
    /// so with T threads T of them run side by side. After each chunk the calling thread runs,
    /// `ready` lets reductions in flight progress (only that thread may call MPI).
    func forEachChunk(samples n: Int, size chunk: Int, _ ready: GradientsReadyHandler? = nil, _ body: (Range<Int>) -> Void) {
        Parallel.forEachItem((n + chunk - 1) / chunk) { c, onCallingThread in
            body((c * chunk)..<min(n, (c + 1) * chunk))
            if onCallingThread { ready?([]) }
        }
    }

    /// Runs `body(run, chunk, firstOfRun)` for chunks 0..<chunks cut into `runs` runs of
    /// consecutive chunks (`gradientRuns`): runs side by side on the rank's threads, each
    /// run's chunks in order, so that a run can sum its chunks' gradients into a partial of its
    /// own. After each chunk the calling thread runs, `ready` lets reductions progress.
    func forEachChunk(_ chunks: Int, inRuns runs: Int, _ ready: GradientsReadyHandler?,
                      _ body: (_ run: Int, _ chunk: Int, _ firstOfRun: Bool) -> Void) {
        Parallel.forEachItem(runs) { r, onCallingThread in
            let first = r * chunks / runs
            for c in first..<((r + 1) * chunks / runs) {
                body(r, c, c == first)
                if onCallingThread { ready?([]) }
            }
        }
    }

    /// y[s, o, hw] = W · im2col(x_s) + b for `m` consecutive samples, in this thread's workspace.
    private func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, samples m: Int) {
        let g = geometry!, o = outChannels, k = g.patchSize, hw = g.outH * g.outW, ld = m * hw
        let ws = Workspace.current
        let cols = ws.buffer(0, count: k * ld), w = weight.value.data, b = bias?.value.data
        if m == 1 {
            // One sample: y_s[o, hw] = W[o, k] · cols[k, hw] straight into the output.
            let c = isPointwise ? x : UnsafePointer(cols)
            if !isPointwise { Im2Col.forward(x, cols, g) }
            BLAS.sgemm(m: o, n: hw, k: k, a: w, lda: k, b: c, ldb: hw, c: y, ldc: hw)
            if let b { for oc in 0..<o { VectorOps.add(b[oc], to: y + oc * hw, count: hw) } }
            return
        }
        // The samples side by side: cols[k, m·hw], then one GEMM
        // wide[o, m·hw] = W · cols, scattered to y[s, o, hw] with the bias added.
        let wide = ws.buffer(1, count: o * ld)
        Im2Col.forward(x, cols, g, samples: m, sampleStride: g.channels * g.height * g.width)
        BLAS.sgemm(m: o, n: ld, k: k, a: w, lda: k, b: cols, ldb: ld, c: wide, ldc: ld)
        Parallel.forEachPart(m, itemWork: o * hw) { part in
            for s in part {
                for oc in 0..<o {
                    let src = wide + oc * ld + s * hw, dst = y + (s * o + oc) * hw
                    if let b { VectorOps.add(src, b[oc], into: dst, count: hw) } else { VectorOps.copy(src, into: dst, count: hw) }
                }
            }
        }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("Conv2D.backward before forward") }
        if needsInputGradient { inputGradient.resize(input.shape) }
        let need = Needs(weight: !weight.isFrozen, bias: bias.map { !$0.isFrozen } ?? false, input: needsInputGradient)
        if need.weight && input.shape[0] == 0 { weight.gradient.fill(0) }
        if need.bias { bias!.gradient.fill(0) }
        if usesWinograd { backwardWinograd(outputGradient, need, ready) } else { backwardIm2col(outputGradient, need, ready) }
        return needsInputGradient ? inputGradient : nil
    }

    /// The backward pass by im2col, in chunks of samples side by side.
    private func backwardIm2col(_ outputGradient: Tensor, _ need: Needs, _ ready: GradientsReadyHandler?) {
        let n = outputGradient.shape[0], o = outChannels, wCount = weight.value.count
        let chunk = chunkSize(n), chunks = (n + chunk - 1) / chunk, runs = gradientRuns(chunks: chunks, partialCount: wCount)
        // Run r sums its chunks' gradients into partial r: run 0 straight into the parameters'
        // gradients, the others into the caller's workspace; then they are added in run order.
        let ws = Workspace.current
        let partialW = need.weight && runs > 1 ? ws.buffer(2, count: (runs - 1) * wCount) : nil
        let partialB = need.bias ? ws.buffer(3, count: runs * o) : nil
        partialB?.update(repeating: 0, count: runs * o)
        forEachChunk(chunks, inRuns: runs, ready) { r, c, first in
            let s0 = c * chunk
            backward(outputGradient, samples: s0..<min(n, s0 + chunk), need,
                     weightGradient: r == 0 ? weight.gradient.data : partialW.map { $0 + (r - 1) * wCount },
                     accumulate: !first, biasGradient: partialB.map { $0 + r * o })
        }
        if need.weight, let partialW {
            for r in 1..<runs { VectorOps.add(partialW + (r - 1) * wCount, to: weight.gradient.data, count: wCount) }
        }
        if need.bias, let partialB {
            for r in 0..<runs { VectorOps.add(partialB + r * o, to: bias!.gradient.data, count: o) }
        }
    }

    /// Which gradients a backward pass computes.
    struct Needs { var weight: Bool, bias: Bool, input: Bool }

    /// One chunk of the backward pass, in this thread's workspace: dW (+)= dy·colsᵀ,
    /// db += Σ dy, dx = col2im(Wᵀ·dy).
    private func backward(_ outputGradient: Tensor, samples: Range<Int>, _ need: Needs,
                          weightGradient dW: UnsafeMutablePointer<Float>?, accumulate: Bool,
                          biasGradient db: UnsafeMutablePointer<Float>?) {
        let g = geometry!, o = outChannels, k = g.patchSize, hw = g.outH * g.outW
        let inSize = g.channels * g.height * g.width, m = samples.count, ld = m * hw, s0 = samples.lowerBound
        let x = input!.data + s0 * inSize
        let ws = Workspace.current
        let cols = ws.buffer(0, count: k * ld)
        // dy of the chunk as [o, m·hw] (the output's [s, o, hw] order, transposed per sample).
        let dy: UnsafeMutablePointer<Float>
        if m == 1 {
            dy = outputGradient.data + s0 * o * hw
        } else {
            dy = ws.buffer(1, count: o * ld)
            let from = outputGradient.data + s0 * o * hw
            Parallel.forEachPart(m, itemWork: o * hw) { part in
                for s in part {
                    for oc in 0..<o { VectorOps.copy(from + (s * o + oc) * hw, into: dy + oc * ld + s * hw, count: hw) }
                }
            }
        }
        if let db { for oc in 0..<o { db[oc] += VectorOps.sumFloat(dy + oc * ld, count: ld) } }
        if need.weight, let dW {
            // dW[o, k] (+)= dy[o, m·hw] · colsᵀ[m·hw, k]
            let c: UnsafePointer<Float>
            if isPointwise && m == 1 { c = UnsafePointer(x) } else {
                Im2Col.forward(x, cols, g, samples: m, sampleStride: inSize)
                c = UnsafePointer(cols)
            }
            BLAS.sgemm(transB: true, m: o, n: k, k: ld, a: dy, lda: ld, b: c, ldb: ld, beta: accumulate ? 1 : 0, c: dW, ldc: k)
        }
        guard need.input else { return }
        let w = weight.value.data, dx = inputGradient.data + s0 * inSize
        if isPointwise && m == 1 {
            // dx_s[k, hw] = Wᵀ[k, o] · dy_s[o, hw]
            BLAS.sgemm(transA: true, m: k, n: hw, k: o, a: w, lda: k, b: dy, ldb: hw, c: dx, ldc: hw)
            return
        }
        // dcols[k, m·hw] = Wᵀ · dy, folded back into each sample's image.
        BLAS.sgemm(transA: true, m: k, n: ld, k: o, a: w, lda: k, b: dy, ldb: ld, c: cols, ldc: ld)
        Im2Col.backward(cols, dx, g, samples: m, sampleStride: inSize)
    }
}
