import LockstepTensor

/// Nearest-neighbour upsampling by an integer factor, PyTorch's
/// `nn.Upsample(scale_factor=s, mode="nearest")`: each pixel becomes an s×s block (the
/// fixed half of "upsampling + convolution" in a decoder).
///
/// Shapes: x [N, C, H, W] → y [N, C, s·H, s·W]. Backward sums each block's gradients.
public final class Upsample: Layer {
    public var kind: String { "Upsample" }
    public let scale: Int
    private var shape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(scale: Int = 2) {
        precondition(scale > 0, "Upsample needs a positive scale, got \(scale)")
        self.scale = scale
    }

    public var parameters: [Parameter] { [] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else { throw LayerError.shape(self, expected: "[C, H, W]", got: inputShape) }
        shape = inputShape
        return [inputShape[0], inputShape[1] * scale, inputShape[2] * scale]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let planes = input.count / (shape[1] * shape[2]), h = shape[1], w = shape[2], s = scale
        output.resize([input.shape[0], shape[0], h * s, w * s])
        let x = input.data, y = output.data
        for p in 0..<planes {
            for i in 0..<(h * s) {
                let src = x + (p * h + i / s) * w, dst = y + (p * h * s + i) * w * s
                for j in 0..<(w * s) { dst[j] = src[j / s] }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        let planes = outputGradient.count / (shape[1] * shape[2] * scale * scale), h = shape[1], w = shape[2], s = scale
        inputGradient.resize([outputGradient.shape[0]] + shape)
        let dy = outputGradient.data, dx = inputGradient.data
        dx.update(repeating: 0, count: inputGradient.count)
        for p in 0..<planes {
            for i in 0..<(h * s) {
                let dst = dx + (p * h + i / s) * w, src = dy + (p * h * s + i) * w * s
                for j in 0..<(w * s) { dst[j / s] += src[j] }
            }
        }
        return inputGradient
    }
}
