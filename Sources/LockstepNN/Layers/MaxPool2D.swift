import LockstepTensor

/// Max pooling over k×k windows, as `nn.MaxPool2d(kernel, stride, padding)`.
///
/// Shapes: x [N, C, H, W] → y [N, C, H′, W′], H′ = ⌊(H + 2p − k)/s⌋ + 1; padding counts as −∞.
/// Backward routes each output gradient to the (first) maximal input of its window.
public final class MaxPool2D: Layer {
    public var kind: String { "MaxPool2D" }
    public var parameters: [Parameter] { [] }
    public let kernel: Int, stride: Int, padding: Int
    private var geometry: ConvGeometry!
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        let g = try poolingGeometry(inputShape: inputShape, kernel: kernel, stride: stride, padding: padding)
        geometry = g
        return [g.channels, g.outH, g.outW]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let g = geometry!
        let n = input.shape[0], planes = n * g.channels, hw = g.height * g.width, ohw = g.outH * g.outW
        inputShape = input.shape
        output.resize([n, g.channels, g.outH, g.outW])
        if argmax.count < planes * ohw { argmax = [Int32](repeating: 0, count: planes * ohw) }
        argmax.withUnsafeMutableBufferPointer { am in
            if kernel == 2 && stride == 2 && padding == 0 {
                // The common 2×2/2 window: four loads, no bounds checks (the window is always inside).
                let w = g.width
                for p in 0..<planes {
                    let x = input.data + p * hw, y = output.data + p * ohw, a = am.baseAddress! + p * ohw
                    for oy in 0..<g.outH {
                        let top = 2 * oy * w
                        for ox in 0..<g.outW {
                            let i0 = top + 2 * ox
                            var best = x[i0], at = i0
                            if x[i0 + 1] > best { best = x[i0 + 1]; at = i0 + 1 }
                            if x[i0 + w] > best { best = x[i0 + w]; at = i0 + w }
                            if x[i0 + w + 1] > best { best = x[i0 + w + 1]; at = i0 + w + 1 }
                            y[oy * g.outW + ox] = best
                            a[oy * g.outW + ox] = Int32(at)
                        }
                    }
                }
                return
            }
            for p in 0..<planes {
                let x = input.data + p * hw, y = output.data + p * ohw, a = am.baseAddress! + p * ohw
                for oy in 0..<g.outH {
                    let y0 = oy * stride - padding
                    for ox in 0..<g.outW {
                        let x0 = ox * stride - padding
                        var best = -Float.infinity, at: Int32 = -1
                        for i in max(0, y0)..<min(g.height, y0 + kernel) {
                            for j in max(0, x0)..<min(g.width, x0 + kernel) where x[i * g.width + j] > best || at < 0 {
                                best = x[i * g.width + j]
                                at = Int32(i * g.width + j)
                            }
                        }
                        y[oy * g.outW + ox] = best
                        a[oy * g.outW + ox] = at
                    }
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        let g = geometry!
        let planes = inputShape[0] * g.channels, hw = g.height * g.width, ohw = g.outH * g.outW
        inputGradient.resize(inputShape)
        inputGradient.fill(0)
        argmax.withUnsafeBufferPointer { am in
            for p in 0..<planes {
                let dx = inputGradient.data + p * hw, dy = outputGradient.data + p * ohw
                for q in 0..<ohw { dx[Int(am[p * ohw + q])] += dy[q] }
            }
        }
        return inputGradient
    }
}
