import LockstepTensor

/// Flattens each sample to one dimension: [N, d1, d2, …] → [N, d1·d2·…].
/// With NCHW input the feature order is (c, h, w), as PyTorch's `nn.Flatten`.
public final class Flatten: Layer {
    public var kind: String { "Flatten" }
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []

    public init() {}

    public func build(inputShape: [Int]) throws -> [Int] {
        self.inputShape = inputShape
        return [inputShape.reduce(1, *)]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        Tensor(reshaping: input, to: [input.shape[0], input.count / max(input.shape[0], 1)])
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        return Tensor(reshaping: outputGradient, to: [outputGradient.shape[0]] + inputShape)
    }
}
