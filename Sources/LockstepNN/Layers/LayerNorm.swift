import LockstepTensor

/// Layer normalization (Ba et al. 2016) over the last dimension, PyTorch's `nn.LayerNorm(D)`:
///
///     y = γ·(x − μ)/√(σ² + ε) + β,   μ and biased σ² over the D features of each position
///
/// Shapes: x [N, …, D] (any number of middle dimensions, e.g. [N, T, D] for sequences), y the
/// same. Parameters `weight` (γ, ones) and `bias` (β, zeros), [D]. No running statistics: the
/// same computation in training and evaluation, and no dependence on the batch.
public final class LayerNorm: Layer {
    public var kind: String { "LayerNorm" }
    public let epsilon: Float
    public private(set) var weight: Parameter!
    public private(set) var bias: Parameter!
    private var features = 0
    private var input: Tensor?
    private var invStd: [Float] = []
    private let normalized = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(epsilon: Float = 1e-5) { self.epsilon = epsilon }

    public var parameters: [Parameter] { weight == nil ? [] : [weight, bias] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard let d = inputShape.last, d > 0 else { throw LayerError.shape(self, expected: "[…, features]", got: inputShape) }
        features = d
        weight = Parameter(name: "weight", shape: [d], initializer: .ones)
        bias = Parameter(name: "bias", shape: [d], initializer: .zeros)
        return inputShape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let d = features, rows = input.count / d
        self.input = input
        output.resize(input.shape)
        normalized.resize(input.shape)
        if invStd.count < rows { invStd = [Float](repeating: 0, count: rows) }
        let x = input.data, xhat = normalized.data, y = output.data, g = weight.value.data, b = bias.value.data
        for r in 0..<rows {
            let row = x + r * d
            let mean = Float(VectorOps.sum(row, count: d) / Double(d))
            let variance = VectorOps.sumSquaredDeviations(row, count: d, from: mean) / Float(d)
            let s = 1 / (variance + epsilon).squareRoot()
            invStd[r] = s
            for i in 0..<d {
                let v = (row[i] - mean) * s
                xhat[r * d + i] = v
                y[r * d + i] = g[i] * v + b[i]
            }
        }
        return output
    }

    /// dx = s/D · (D·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)), dx̂ = dy·γ, per position; dγ = Σ dy·x̂, dβ = Σ dy.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("LayerNorm.backward before forward") }
        let d = features, rows = input.count / d
        let dy = outputGradient.data, xhat = normalized.data, g = weight.value.data
        if !weight.isFrozen {
            let dg = weight.gradient.data, db = bias.gradient.data
            dg.update(repeating: 0, count: d)
            db.update(repeating: 0, count: d)
            for r in 0..<rows { for i in 0..<d { dg[i] += dy[r * d + i] * xhat[r * d + i]; db[i] += dy[r * d + i] } }
        }
        guard needsInputGradient else { return nil }
        inputGradient.resize(input.shape)
        let dx = inputGradient.data
        for r in 0..<rows {
            var sum: Float = 0, dot: Float = 0
            for i in 0..<d {
                let dxhat = dy[r * d + i] * g[i]
                sum += dxhat
                dot += dxhat * xhat[r * d + i]
            }
            let scale = invStd[r] / Float(d)
            for i in 0..<d {
                dx[r * d + i] = scale * (Float(d) * dy[r * d + i] * g[i] - sum - xhat[r * d + i] * dot)
            }
        }
        return inputGradient
    }
}
