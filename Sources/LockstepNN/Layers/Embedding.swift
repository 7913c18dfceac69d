import LockstepTensor

/// A lookup table of learned vectors, PyTorch's `nn.Embedding(V, D)`: token id t → row t of
/// `weight`.
///
/// Shapes: ids [N, T] (token ids stored as floats, as every batch tensor), y [N, T, D];
/// `weight` [V, D], initialized N(0, 1) as PyTorch. Backward adds each position's gradient
/// into its token's row (a token seen twice gets both). Ids are not differentiable: the input
/// gradient is zeros. An id outside 0..<V gives a row of NaN, which the trainer's non-finite
/// check then reports naming this layer, instead of reading memory it does not own. Padded
/// steps (`ForwardContext.padding`) give zeros whatever id they hold, and no gradient.
public final class Embedding: Layer {
    public var kind: String { "Embedding" }
    public let vocabulary: Int
    public let dimension: Int
    public private(set) var weight: Parameter!
    private var ids: [Int] = []
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(vocabulary: Int, dimension: Int) {
        precondition(vocabulary > 0 && dimension > 0, "Embedding needs vocabulary and dimension > 0")
        self.vocabulary = vocabulary
        self.dimension = dimension
    }

    public var parameters: [Parameter] { weight == nil ? [] : [weight] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time] token ids", got: inputShape)
        }
        weight = Parameter(name: "weight", shape: [vocabulary, dimension], initializer: .normal(std: 1))
        return inputShape + [dimension]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let d = dimension, positions = input.count
        inputShape = input.shape
        output.resize(input.shape + [d])
        if ids.count != positions { ids = [Int](repeating: 0, count: positions) }
        let table = weight.value.data, y = output.data
        let n = input.shape[0], steps = positions / max(n, 1)
        for p in 0..<positions {
            if p % steps >= context.length(p / steps, of: steps) {
                ids[p] = -1
                (y + p * d).update(repeating: 0, count: d)
                continue
            }
            let v = input[p], id = Int(exactly: v) ?? -1
            ids[p] = (0..<vocabulary).contains(id) ? id : -1
            if ids[p] >= 0 { (y + p * d).update(from: table + ids[p] * d, count: d) }
            else { (y + p * d).update(repeating: .nan, count: d) }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        let d = dimension
        if !weight.isFrozen {
            let dw = weight.gradient.data, dy = outputGradient.data
            dw.update(repeating: 0, count: vocabulary * d)
            for (p, id) in ids.enumerated() where id >= 0 {
                for i in 0..<d { dw[id * d + i] += dy[p * d + i] }
            }
        }
        guard needsInputGradient else { return nil }
        inputGradient.resize(inputShape)
        inputGradient.fill(0)
        return inputGradient
    }
}
