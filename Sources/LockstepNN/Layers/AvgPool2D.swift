import LockstepTensor

/// Average pooling over k×k windows, as `nn.AvgPool2d(kernel, stride, padding)` with
/// `count_include_pad=True`: every window sum is divided by k².
///
/// Shapes: x [N, C, H, W] → y [N, C, H′, W′], H′ = ⌊(H + 2p − k)/s⌋ + 1.
public final class AvgPool2D: Layer {
    public var kind: String { "AvgPool2D" }
    public var parameters: [Parameter] { [] }
    public let kernel: Int, stride: Int, padding: Int
    private var geometry: ConvGeometry!
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

    /// Calls body(outputIndex, inputIndex) for every input cell of every window of one plane.
    @inline(__always)
    private func windows(_ g: ConvGeometry, _ body: (Int, Int) -> Void) {
        for oy in 0..<g.outH {
            let y0 = oy * stride - padding
            for ox in 0..<g.outW {
                let x0 = ox * stride - padding
                for i in max(0, y0)..<min(g.height, y0 + kernel) {
                    for j in max(0, x0)..<min(g.width, x0 + kernel) { body(oy * g.outW + ox, i * g.width + j) }
                }
            }
        }
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let g = geometry!
        let planes = input.shape[0] * g.channels, hw = g.height * g.width, ohw = g.outH * g.outW
        let scale = 1 / Float(kernel * kernel)
        inputShape = input.shape
        output.resize([input.shape[0], g.channels, g.outH, g.outW])
        output.fill(0)
        for p in 0..<planes {
            let x = input.data + p * hw, y = output.data + p * ohw
            windows(g) { o, i in y[o] += x[i] }
            for q in 0..<ohw { y[q] *= scale }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        let g = geometry!
        let planes = inputShape[0] * g.channels, hw = g.height * g.width, ohw = g.outH * g.outW
        let scale = 1 / Float(kernel * kernel)
        inputGradient.resize(inputShape)
        inputGradient.fill(0)
        for p in 0..<planes {
            let dx = inputGradient.data + p * hw, dy = outputGradient.data + p * ohw
            windows(g) { o, i in dx[i] += dy[o] * scale }
        }
        return inputGradient
    }
}
