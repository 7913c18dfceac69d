import LockstepTensor

/// 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`), by im2col + sgemm.
///
/// Shapes: x [N, C, H, W], W [O, C, kH, kW] (OIHW), b [O], y [N, O, H′, W′] with
/// H′ = ⌊(H + 2p − kH)/s⌋ + 1. Per sample: cols = im2col(x_n) [C·kH·kW, H′W′],
/// y_n = W·cols + b. Backward: dW += dy_n·colsᵀ, db += Σ dy_n, dx_n = col2im(Wᵀ·dy_n).
/// A 1×1 stride-1 unpadded convolution skips im2col (cols is x_n itself).
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
    private var geometry: ConvGeometry!

    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

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

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let g = geometry!
        let n = input.shape[0], o = outChannels, k = g.patchSize, hw = g.outH * g.outW
        let inSize = g.channels * g.height * g.width
        self.input = input
        output.resize([n, o, g.outH, g.outW])
        let chunk = chunkSize(n), ws = Workspace.current
        let cols = ws.buffer(0, count: k * chunk * hw), wide = ws.buffer(1, count: o * chunk * hw)
        let w = weight.value.data, b = bias?.value.data
        for s0 in Swift.stride(from: 0, to: n, by: chunk) {
            let m = min(chunk, n - s0), ld = m * hw
            let y = output.data + s0 * o * hw
            if m == 1 {
                // One sample: y_s[o, hw] = W[o, k] · cols[k, hw] straight into the output.
                let c = isPointwise ? UnsafePointer(input.data + s0 * inSize) : UnsafePointer(cols)
                if !isPointwise { Im2Col.forward(input.data + s0 * inSize, cols, g) }
                BLAS.sgemm(m: o, n: hw, k: k, a: w, lda: k, b: c, ldb: hw, c: y, ldc: hw)
                if let b { for oc in 0..<o { VectorOps.add(b[oc], to: y + oc * hw, count: hw) } }
                continue
            }
            // The chunk's samples side by side: cols[k, m·hw], then one GEMM
            // wide[o, m·hw] = W · cols, scattered to y[s, o, hw] with the bias added.
            Im2Col.forward(input.data + s0 * inSize, cols, g, samples: m, sampleStride: inSize)
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
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("Conv2D.backward before forward") }
        let g = geometry!
        let n = input.shape[0], o = outChannels, k = g.patchSize, hw = g.outH * g.outW
        let inSize = g.channels * g.height * g.width
        if needsInputGradient { inputGradient.resize(input.shape) }
        let weightGradient = !weight.isFrozen
        let biasGradient = bias.map { !$0.isFrozen } ?? false
        if biasGradient { bias!.gradient.fill(0) }
        if weightGradient && n == 0 { weight.gradient.fill(0) }
        let chunk = chunkSize(n), ws = Workspace.current
        let cols = ws.buffer(0, count: k * chunk * hw), wide = ws.buffer(1, count: o * chunk * hw)
        let w = weight.value.data
        for s0 in Swift.stride(from: 0, to: n, by: chunk) {
            let m = min(chunk, n - s0), ld = m * hw
            let x = input.data + s0 * inSize
            // dy of the chunk as [o, m·hw] (the output's [s, o, hw] order, transposed per sample).
            let dy: UnsafeMutablePointer<Float>
            if m == 1 {
                dy = outputGradient.data + s0 * o * hw
            } else {
                dy = wide
                let from = outputGradient.data
                Parallel.forEachPart(m, itemWork: o * hw) { part in
                    for s in part {
                        let src = from + (s0 + s) * o * hw, dst = wide + s * hw
                        for oc in 0..<o { VectorOps.copy(src + oc * hw, into: dst + oc * ld, count: hw) }
                    }
                }
            }
            if biasGradient, let bias {
                let db = bias.gradient.data
                for oc in 0..<o { db[oc] += VectorOps.sumFloat(dy + oc * ld, count: ld) }
            }
            if weightGradient {
                // dW[o, k] (+)= dy[o, m·hw] · colsᵀ[m·hw, k]
                let c: UnsafePointer<Float>
                if isPointwise && m == 1 { c = UnsafePointer(x) } else {
                    Im2Col.forward(x, cols, g, samples: m, sampleStride: inSize)
                    c = UnsafePointer(cols)
                }
                BLAS.sgemm(transB: true, m: o, n: k, k: ld, a: dy, lda: ld, b: c, ldb: ld, beta: s0 == 0 ? 0 : 1,
                           c: weight.gradient.data, ldc: k)
            }
            guard needsInputGradient else { continue }
            let dx = inputGradient.data + s0 * inSize
            if isPointwise && m == 1 {
                // dx_s[k, hw] = Wᵀ[k, o] · dy_s[o, hw]
                BLAS.sgemm(transA: true, m: k, n: hw, k: o, a: w, lda: k, b: dy, ldb: hw, c: dx, ldc: hw)
                continue
            }
            // dcols[k, m·hw] = Wᵀ · dy, folded back into each sample's image.
            BLAS.sgemm(transA: true, m: k, n: ld, k: o, a: w, lda: k, b: dy, ldb: ld, c: cols, ldc: ld)
            Im2Col.backward(cols, dx, g, samples: m, sampleStride: inSize)
            ready?([])  // lets reductions in flight progress between chunks

        }
        return needsInputGradient ? inputGradient : nil
    }
}
