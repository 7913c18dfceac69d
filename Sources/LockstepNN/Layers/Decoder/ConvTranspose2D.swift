import LockstepTensor

/// 2-D transposed convolution, PyTorch's `nn.ConvTranspose2d(C, O, k, stride, padding,
/// output_padding)`: the adjoint of a convolution, which upsamples (a decoder's learned
/// upsampling). Each input pixel scatters a k×k window of weights into the output.
///
/// Shapes: x [N, C, H, W], W [C, O, k, k] (PyTorch's layout), b [O], y [N, O, H′, W′] with
/// H′ = (H − 1)·s − 2p + k + output_padding. Per sample, with the convolution geometry of the
/// output: cols = Wᵀ·x_n [O·k·k, H·W], y_n = col2im(cols) + b. Backward: cols = im2col(dy_n),
/// dW += x_n·colsᵀ, dx_n = W·cols, db = Σ dy. Initialization U(±1/√(O·k·k)) (PyTorch's
/// fan-in for this layout), bias zeros.
public final class ConvTranspose2D: Layer {
    public var kind: String { "ConvTranspose2D" }
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int
    /// Whether the layer adds a bias (none before a BatchNorm, which would remove it).
    public let useBias: Bool
    public private(set) var weight: Parameter!
    public private(set) var bias: Parameter?
    /// The convolution whose adjoint this is: from the output image back to the input's size.
    private var geometry: ConvGeometry!
    private var inChannels = 0
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, bias: Bool = true) {
        precondition(outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0 && outputPadding >= 0 && outputPadding < max(stride, 1),
                     "ConvTranspose2D needs positive channels, kernel and stride, padding ≥ 0 and 0 ≤ output_padding < stride")
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.useBias = bias
    }

    public var parameters: [Parameter] { weight == nil ? [] : [weight] + (bias.map { [$0] } ?? []) }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else { throw LayerError.shape(self, expected: "[C, H, W]", got: inputShape) }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        let outH = (h - 1) * stride - 2 * padding + kernel + outputPadding, outW = (w - 1) * stride - 2 * padding + kernel + outputPadding
        guard outH > 0, outW > 0 else {
            throw LayerError.shape(self, expected: "an image large enough for padding \(padding) (output \(outH)×\(outW))", got: inputShape)
        }
        geometry = ConvGeometry(channels: outChannels, height: outH, width: outW, kernel: (kernel, kernel), stride: (stride, stride),
                                padding: (padding, padding))
        precondition(geometry.outH == h && geometry.outW == w, "ConvTranspose2D geometry does not invert")
        inChannels = c
        let bound = 1 / Float(outChannels * kernel * kernel).squareRoot()
        weight = Parameter(name: "weight", shape: [c, outChannels, kernel, kernel], initializer: .uniform(bound: bound))
        bias = useBias ? Parameter(name: "bias", shape: [outChannels], initializer: .zeros) : nil
        return [outChannels, outH, outW]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let g = geometry!, n = input.shape[0], c = inChannels, k = g.patchSize, hw = g.outH * g.outW
        let outSize = outChannels * g.height * g.width, plane = g.height * g.width
        self.input = input
        output.resize([n, outChannels, g.height, g.width])
        let cols = Workspace.current.buffer(0, count: k * hw), w = weight.value.data, b = bias?.value.data
        for s in 0..<n {
            // cols[k, hw] = Wᵀ[k, c] · x_s[c, hw], then folded into the output image.
            BLAS.sgemm(transA: true, m: k, n: hw, k: c, a: w, lda: k, b: input.data + s * c * hw, ldb: hw, c: cols, ldc: hw)
            let y = output.data + s * outSize
            Im2Col.backward(cols, y, g)
            if let b { for o in 0..<outChannels { VectorOps.add(b[o], to: y + o * plane, count: plane) } }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("ConvTranspose2D.backward before forward") }
        let g = geometry!, n = input.shape[0], c = inChannels, k = g.patchSize, hw = g.outH * g.outW
        let outSize = outChannels * g.height * g.width, plane = g.height * g.width
        if needsInputGradient { inputGradient.resize(input.shape) }
        let cols = Workspace.current.buffer(0, count: k * hw), w = weight.value.data
        if let bias, !bias.isFrozen {
            let db = bias.gradient.data
            db.update(repeating: 0, count: outChannels)
            for s in 0..<n { for o in 0..<outChannels { db[o] += VectorOps.sumFloat(outputGradient.data + s * outSize + o * plane, count: plane) } }
        }
        if !weight.isFrozen && n == 0 { weight.gradient.fill(0) }
        for s in 0..<n {
            Im2Col.forward(outputGradient.data + s * outSize, cols, g)
            let x = input.data + s * c * hw
            // dW[c, k] (+)= x_s[c, hw] · colsᵀ[hw, k];  dx_s[c, hw] = W[c, k] · cols[k, hw]
            if !weight.isFrozen {
                BLAS.sgemm(transB: true, m: c, n: k, k: hw, a: x, lda: hw, b: cols, ldb: hw, beta: s == 0 ? 0 : 1,
                           c: weight.gradient.data, ldc: k)
            }
            if needsInputGradient {
                BLAS.sgemm(m: c, n: hw, k: k, a: w, lda: k, b: cols, ldb: hw, c: inputGradient.data + s * c * hw, ldc: hw)
            }
        }
        return needsInputGradient ? inputGradient : nil
    }
}
