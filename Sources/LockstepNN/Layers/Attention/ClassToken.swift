import LockstepTensor

/// Puts a learned [CLS] token in front of every sequence (BERT, ViT): its final state, read
/// by `SequencePool(.first)`, summarizes the sequence for a classifier.
///
/// Shapes: x [N, T, D] → y [N, T + 1, D]. Parameter `weight` [1, 1, D], N(0, 0.02²) (ViT's
/// `cls_token` layout).
public final class ClassToken: Layer {
    public var kind: String { "ClassToken" }
    public private(set) var weight: Parameter!
    private var steps = 0
    private var width = 0
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public var parameters: [Parameter] { weight.map { [$0] } ?? [] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time, features]", got: inputShape)
        }
        (steps, width) = (inputShape[0], inputShape[1])
        weight = Parameter(name: "weight", shape: [1, 1, width], initializer: .normal(std: 0.02))
        return [steps + 1, width]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let n = input.shape[0], per = steps * width
        output.resize([n, steps + 1, width])
        for s in 0..<n {
            let row = output.data + s * (per + width)
            row.update(from: weight.value.data, count: width)
            (row + width).update(from: input.data + s * per, count: per)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        let n = outputGradient.shape[0], per = steps * width, dy = outputGradient.data
        if !weight.isFrozen {
            let dw = weight.gradient.data
            dw.update(repeating: 0, count: width)
            for s in 0..<n { for i in 0..<width { dw[i] += dy[s * (per + width) + i] } }
        }
        guard needsInputGradient else { return nil }
        inputGradient.resize([n, steps, width])
        for s in 0..<n { (inputGradient.data + s * per).update(from: dy + s * (per + width) + width, count: per) }
        return inputGradient
    }
}
