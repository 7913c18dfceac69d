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
    private let cols = Tensor(shape: [0])

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

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let g = geometry!
        let n = input.shape[0], o = outChannels, k = g.patchSize, hw = g.outH * g.outW
        let inSize = g.channels * g.height * g.width
        self.input = input
        output.resize([n, o, g.outH, g.outW])
        if !isPointwise { cols.resize([k, hw]) }
        for s in 0..<n {
            let x = input.data + s * inSize, y = output.data + s * o * hw
            let c: UnsafePointer<Float>
            if isPointwise { c = UnsafePointer(x) } else { Im2Col.forward(x, cols.data, g); c = UnsafePointer(cols.data) }
            // y_s[o, hw] = W[o, k] · cols[k, hw]
            BLAS.sgemm(m: o, n: hw, k: k, a: weight.value.data, lda: k, b: c, ldb: hw, c: y, ldc: hw)
            if let bias {
                let b = bias.value.data
                for oc in 0..<o {
                    let row = y + oc * hw, v = b[oc]
                    for p in 0..<hw { row[p] += v }
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
        for s in 0..<n {
            let x = input.data + s * inSize, dy = outputGradient.data + s * o * hw
            if weightGradient {
                let c: UnsafePointer<Float>
                if isPointwise { c = UnsafePointer(x) } else { Im2Col.forward(x, cols.data, g); c = UnsafePointer(cols.data) }
                // dW[o, k] (+)= dy_s[o, hw] · colsᵀ[hw, k]
                BLAS.sgemm(transB: true, m: o, n: k, k: hw, a: dy, lda: hw, b: c, ldb: hw, beta: s == 0 ? 0 : 1,
                           c: weight.gradient.data, ldc: k)
            }
            if biasGradient, let bias {
                let db = bias.gradient.data
                for oc in 0..<o {
                    let row = dy + oc * hw
                    var acc: Float = 0
                    for p in 0..<hw { acc += row[p] }
                    db[oc] += acc
                }
            }
            guard needsInputGradient else { continue }
            let dx = inputGradient.data + s * inSize
            if isPointwise {
                // dx_s[k, hw] = Wᵀ[k, o] · dy_s[o, hw]
                BLAS.sgemm(transA: true, m: k, n: hw, k: o, a: weight.value.data, lda: k, b: dy, ldb: hw, c: dx, ldc: hw)
            } else {
                BLAS.sgemm(transA: true, m: k, n: hw, k: o, a: weight.value.data, lda: k, b: dy, ldb: hw, c: cols.data, ldc: hw)
                Im2Col.backward(cols.data, dx, g)
            }
        }
        if n == 0 && weightGradient { weight.gradient.fill(0) }
        return needsInputGradient ? inputGradient : nil
    }
}
