import LockstepTensor

/// Parametric ReLU (He et al. 2015): f(x) = x for x > 0, a·x otherwise, with a learned slope
/// per channel (channel = dimension 1, as `nn.PReLU(num_parameters=C)`) or one shared slope.
///
/// Parameter `weight` [C] (or [1]), initialized to 0.25 (PyTorch's default).
public final class PReLU: Layer {
    public var kind: String { "PReLU" }
    public let perChannel: Bool
    public let initialSlope: Float
    public private(set) var weight: Parameter!
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(perChannel: Bool = false, initialSlope: Float = 0.25) {
        self.perChannel = perChannel
        self.initialSlope = initialSlope
    }

    public var parameters: [Parameter] { weight.map { [$0] } ?? [] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard !inputShape.isEmpty else { throw LayerError.shape(self, expected: "[C, …]", got: inputShape) }
        weight = Parameter(name: "weight", shape: [perChannel ? inputShape[0] : 1], initializer: .constant(initialSlope))
        return inputShape
    }

    /// The slope of element i: its channel in an [N, C, stride…] layout, or 0 when shared.
    @inline(__always) private func slopeIndex(_ i: Int, _ channels: Int, _ stride: Int) -> Int {
        perChannel ? (i / stride) % channels : 0
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        self.input = input
        output.resize(input.shape)
        let c = weight.count, stride = perChannel ? input.count / max(input.shape[0] * c, 1) : 1
        let x = input.data, y = output.data, a = weight.value.data
        for i in 0..<input.count {
            let v = x[i]
            y[i] = v > 0 ? v : a[slopeIndex(i, c, stride)] * v
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("PReLU.backward before forward") }
        let c = weight.count, stride = perChannel ? input.count / max(input.shape[0] * c, 1) : 1
        let x = input.data, dy = outputGradient.data, a = weight.value.data, da = weight.gradient.data
        weight.gradient.fill(0)
        if needsInputGradient { inputGradient.resize(input.shape) }
        let dx = inputGradient.data
        for i in 0..<input.count {
            let v = x[i], k = slopeIndex(i, c, stride)
            if v <= 0 { da[k] += dy[i] * v }
            if needsInputGradient { dx[i] = v > 0 ? dy[i] : a[k] * dy[i] }
        }
        return needsInputGradient ? inputGradient : nil
    }
}
