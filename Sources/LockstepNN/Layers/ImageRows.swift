import LockstepTensor

/// Reads each image as a sequence of its rows: [N, C, H, W] → [N, H, C·W], step t holding row t
/// of every channel (channel-major). With one channel it is a reshape; e.g. a Fashion-MNIST
/// image becomes 28 time steps of 28 features for an LSTM. Input already [N, T, F] passes
/// through unchanged.
public final class ImageRows: Layer {
    public var kind: String { "ImageRows" }
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3 || inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[C, H, W] images or [time, features]", got: inputShape)
        }
        self.inputShape = inputShape
        return inputShape.count == 2 ? inputShape : [inputShape[1], inputShape[0] * inputShape[2]]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        guard inputShape.count == 3, inputShape[0] > 1 else {
            let n = input.shape[0]
            return Tensor(reshaping: input, to: inputShape.count == 2 ? input.shape : [n, inputShape[1], inputShape[2]])
        }
        output.resize([input.shape[0], inputShape[1], inputShape[0] * inputShape[2]])
        permute(from: input.data, to: output.data, samples: input.shape[0], forward: true)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        let n = outputGradient.shape[0]
        guard inputShape.count == 3, inputShape[0] > 1 else {
            return Tensor(reshaping: outputGradient, to: [n] + inputShape)
        }
        inputGradient.resize([n] + inputShape)
        permute(from: outputGradient.data, to: inputGradient.data, samples: n, forward: false)
        return inputGradient
    }

    /// [C, H, W] ↔ [H, C, W] per sample.
    private func permute(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, samples: Int, forward: Bool) {
        let c = inputShape[0], h = inputShape[1], w = inputShape[2], size = c * h * w
        for s in 0..<samples {
            for ch in 0..<c {
                for row in 0..<h {
                    let image = s * size + (ch * h + row) * w, sequence = s * size + (row * c + ch) * w
                    if forward { (dst + sequence).update(from: src + image, count: w) }
                    else { (dst + image).update(from: src + sequence, count: w) }
                }
            }
        }
    }
}
