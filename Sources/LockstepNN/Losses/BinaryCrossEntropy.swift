import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// Binary cross-entropy on logits, fused with the sigmoid, over all elements (PyTorch
/// `binary_cross_entropy_with_logits`, mean): ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)),
/// finite for any logit. Gradient: (σ(x) − t)/M. Targets are in [0, 1].
public final class BinaryCrossEntropy: Loss {
    public var name: String { "binary_cross_entropy" }
    private let gradient = Tensor(shape: [0])

    public init() {}

    public func forward(_ prediction: Tensor, _ targets: Targets) throws -> Float {
        let t = try valueTargets(targets, for: prediction)
        gradient.resize(prediction.shape)
        let m = prediction.count, x = prediction.data, tv = t.data, g = gradient.data
        let scale = 1 / Float(m)
        var sum = 0.0
        for i in 0..<m {
            let v = x[i], target = tv[i]
            sum += Double(max(v, 0) - v * target + log1pf(expf(-abs(v))))
            let s = v >= 0 ? 1 / (1 + expf(-v)) : expf(v) / (1 + expf(v))
            g[i] = (s - target) * scale
        }
        return Float(sum / Double(m))
    }

    public func backward() -> Tensor { gradient }
}
