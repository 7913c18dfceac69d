import LockstepTensor

/// Fully connected layer (the formal neuron, batched): y = x · Wᵀ + b.
///
/// Shapes: x [N, in], W [out, in] (PyTorch layout), b [out], y [N, out]; or, position by
/// position over a sequence as PyTorch's `nn.Linear`, x [N, T, in] and y [N, T, out].
/// Initialization: W from `weightInitializer` (Glorot uniform by default, as Keras), b zeros.
public final class Dense: Layer {
    public var kind: String { "Dense" }
    /// Input features, inferred from the input shape when not given.
    public private(set) var inputSize: Int?
    /// Output features.
    public let outputSize: Int
    public let useBias: Bool
    public let weightInitializer: Initializer
    /// [out, in]; nil until built.
    public private(set) var weight: Parameter!
    /// [out]; nil when built without bias.
    public private(set) var bias: Parameter?

    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(inputSize: Int? = nil, outputSize: Int, bias: Bool = true, weightInitializer: Initializer = .glorotUniform) {
        precondition(outputSize > 0, "Dense outputSize must be positive, got \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.useBias = bias
        self.weightInitializer = weightInitializer
    }

    public var parameters: [Parameter] { [weight].compactMap { $0 } + (bias.map { [$0] } ?? []) }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 || inputShape.count == 2, let features = inputShape.last, inputShape.allSatisfy({ $0 > 0 }),
              inputSize == nil || inputSize == features else {
            let f = inputSize.map(String.init) ?? "features"
            throw LayerError.shape(self, expected: "[\(f)] or a sequence [time, \(f)] (flatten images first)", got: inputShape)
        }
        inputSize = features
        weight = Parameter(name: "weight", shape: [outputSize, features], initializer: weightInitializer)
        if useBias { bias = Parameter(name: "bias", shape: [outputSize], initializer: .zeros) }
        return inputShape.dropLast() + [outputSize]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let k = inputSize!, n = input.count / k, m = outputSize
        self.input = input
        output.resize(input.shape.dropLast() + [m])
        // y[n, m] = x[n, k] · W[m, k]ᵀ
        BLAS.sgemm(transB: true, m: n, n: m, k: k, a: input.data, lda: k, b: weight.value.data, ldb: k,
                   c: output.data, ldc: m)
        if let bias { VectorOps.addRowVector(bias.value.data, to: output.data, rows: n, cols: m) }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("Dense.backward before forward") }
        let k = inputSize!, n = input.count / k, m = outputSize
        let dy = outputGradient.data
        // dW[m, k] = dyᵀ[m, n] · x[n, k]
        if !weight.isFrozen {
            BLAS.sgemm(transA: true, m: m, n: k, k: n, a: dy, lda: m, b: input.data, ldb: k,
                       c: weight.gradient.data, ldc: k)
        }
        if let bias, !bias.isFrozen { VectorOps.sumRows(dy, rows: n, cols: m, into: bias.gradient.data) }
        guard needsInputGradient else { return nil }
        // dx[n, k] = dy[n, m] · W[m, k]
        inputGradient.resize(input.shape)
        BLAS.sgemm(m: n, n: k, k: m, a: dy, lda: m, b: weight.value.data, ldb: k, c: inputGradient.data, ldc: k)
        return inputGradient
    }
}
