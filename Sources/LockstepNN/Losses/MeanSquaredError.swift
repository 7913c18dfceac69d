import LockstepTensor

/// Mean squared error over all elements: L = (1/M) Σ (y − t)², M = N·K (PyTorch `reduction="mean"`).
/// Gradient: ∂L/∂y = 2(y − t)/M.
public final class MeanSquaredError: Loss {
    public var name: String { "mse" }
    private let gradient = Tensor(shape: [0])

    public init() {}

    public func forward(_ prediction: Tensor, _ targets: Targets) throws -> Float {
        let t = try valueTargets(targets, for: prediction)
        gradient.resize(prediction.shape)
        let m = prediction.count
        let y = prediction.data, tv = t.data, g = gradient.data
        var sum = 0.0
        let scale = 2 / Float(m)
        for i in 0..<m {
            let d = y[i] - tv[i]
            sum += Double(d * d)
            g[i] = scale * d
        }
        return Float(sum / Double(m))
    }

    public func backward() -> Tensor { gradient }
}
