import LockstepTensor

/// Gives each sample another shape with the same elements, PyTorch's `nn.Unflatten(1, shape)`
/// (a decoder's dense code back to feature maps, [D] → [C, H, W]). No copy: the output shares
/// the input's storage.
public final class Reshape: Layer {
    public var kind: String { "Reshape" }
    public let shape: [Int]
    private var inputShape: [Int] = []

    public init(_ shape: [Int]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "Reshape needs positive sizes, got \(shape)")
        self.shape = shape
    }

    public var parameters: [Parameter] { [] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.reduce(1, *) == shape.reduce(1, *) else {
            throw LayerError.shape(self, expected: "\(shape.reduce(1, *)) elements per sample (to become \(shape))", got: inputShape)
        }
        self.inputShape = inputShape
        return shape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        Tensor(reshaping: input, to: [input.shape[0]] + shape)
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        needsInputGradient ? Tensor(reshaping: outputGradient, to: [outputGradient.shape[0]] + inputShape) : nil
    }
}
