import LockstepTensor

/// Group normalization (Wu & He 2018), PyTorch's `nn.GroupNorm(groups, C)`: the channels are
/// split into `groups` consecutive groups, and each sample's group is normalized on its own:
///
///     y = γ_c·(x − μ)/√(σ² + ε) + β_c,   μ and biased σ² over the group's C/G channels × H × W
///
/// Shapes: x [N, C] or [N, C, H, W], y the same; C a multiple of `groups`. Parameters
/// `weight` (γ, ones) and `bias` (β, zeros), [C]. No running statistics and nothing shared
/// between samples: the output of a sample does not depend on the batch it is in, so N ranks
/// compute what one rank does (BatchNorm's statistics are per rank's batch). `groups` = 1 is
/// LayerNorm over (C, H, W); `groups` = C is instance normalization.
public final class GroupNorm: Layer {
    public var kind: String { "GroupNorm" }
    public let groups: Int
    public let epsilon: Float
    public private(set) var weight: Parameter!
    public private(set) var bias: Parameter!
    private var channels = 0
    /// Elements per channel of a sample (H·W, or 1).
    private var plane = 1
    private var input: Tensor?
    private var invStd: [Float] = []
    private let normalized = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(groups: Int, epsilon: Float = 1e-5) {
        precondition(groups > 0, "GroupNorm needs at least one group, got \(groups)")
        self.groups = groups
        self.epsilon = epsilon
    }

    public var parameters: [Parameter] { weight == nil ? [] : [weight, bias] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 || inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[C] or [C, H, W]", got: inputShape)
        }
        guard inputShape[0] % groups == 0 else {
            throw LayerError(kind: kind, message: "\(inputShape[0]) channels do not split into \(groups) groups")
        }
        channels = inputShape[0]
        plane = inputShape.dropFirst().reduce(1, *)
        weight = Parameter(name: "weight", shape: [channels], initializer: .ones)
        bias = Parameter(name: "bias", shape: [channels], initializer: .zeros)
        return inputShape
    }

    /// Elements of one group of one sample.
    private var groupSize: Int { channels / groups * plane }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let n = input.shape[0], size = groupSize, perGroup = channels / groups
        self.input = input
        output.resize(input.shape)
        normalized.resize(input.shape)
        if invStd.count < n * groups { invStd = [Float](repeating: 0, count: n * groups) }
        let x = input.data, xhat = normalized.data, y = output.data, gamma = weight.value.data, beta = bias.value.data
        for q in 0..<(n * groups) {
            let start = q * size
            let mean = Float(VectorOps.sum(x + start, count: size) / Double(size))
            let variance = VectorOps.sumSquaredDeviations(x + start, count: size, from: mean) / Float(size)
            let s = 1 / (variance + epsilon).squareRoot()
            invStd[q] = s
            for k in 0..<perGroup {
                let c = (q % groups) * perGroup + k, base = start + k * plane
                for i in base..<(base + plane) {
                    let v = (x[i] - mean) * s
                    xhat[i] = v
                    y[i] = gamma[c] * v + beta[c]
                }
            }
        }
        return output
    }

    /// Per group of M elements: dx = s/M · (M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)), dx̂ = dy·γ_c;
    /// dγ_c = Σ dy·x̂ and dβ_c = Σ dy over the channel's elements in every sample.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("GroupNorm.backward before forward") }
        let n = input.shape[0], size = groupSize, perGroup = channels / groups
        let dy = outputGradient.data, xhat = normalized.data, gamma = weight.value.data
        if !weight.isFrozen {
            let dg = weight.gradient.data, db = bias.gradient.data
            dg.update(repeating: 0, count: channels)
            db.update(repeating: 0, count: channels)
            for s in 0..<n {
                for c in 0..<channels {
                    let base = (s * channels + c) * plane
                    var g: Float = 0, b: Float = 0
                    for i in base..<(base + plane) { g += dy[i] * xhat[i]; b += dy[i] }
                    dg[c] += g
                    db[c] += b
                }
            }
        }
        guard needsInputGradient else { return nil }
        inputGradient.resize(input.shape)
        let dx = inputGradient.data
        for q in 0..<(n * groups) {
            let start = q * size
            var sum: Float = 0, dot: Float = 0
            for k in 0..<perGroup {
                let c = (q % groups) * perGroup + k, base = start + k * plane
                for i in base..<(base + plane) {
                    let dxhat = dy[i] * gamma[c]
                    sum += dxhat
                    dot += dxhat * xhat[i]
                }
            }
            let scale = invStd[q] / Float(size)
            for k in 0..<perGroup {
                let c = (q % groups) * perGroup + k, base = start + k * plane
                for i in base..<(base + plane) {
                    dx[i] = scale * (Float(size) * dy[i] * gamma[c] - sum - xhat[i] * dot)
                }
            }
        }
        return inputGradient
    }
}
