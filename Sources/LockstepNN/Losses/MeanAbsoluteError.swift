import LockstepTensor

/// Mean absolute error over all elements: L = (1/M) Σ |y − t| (PyTorch `l1_loss`, mean).
/// Gradient: sign(y − t)/M, with sign(0) = 0.
public final class MeanAbsoluteError: Loss {
    public var name: String { "mae" }
    private let gradient = Tensor(shape: [0])

    public init() {}

    public func forward(_ prediction: Tensor, _ targets: Targets) throws -> Float {
        let t = try valueTargets(targets, for: prediction)
        gradient.resize(prediction.shape)
        let m = prediction.count, y = prediction.data, tv = t.data, g = gradient.data
        let scale = 1 / Float(m)
        var sum = 0.0
        for i in 0..<m {
            let d = y[i] - tv[i]
            sum += Double(abs(d))
            g[i] = d > 0 ? scale : (d < 0 ? -scale : 0)
        }
        return Float(sum / Double(m))
    }

    public func backward() -> Tensor { gradient }
}
