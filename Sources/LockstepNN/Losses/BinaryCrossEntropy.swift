#if canImport(Glibc)
import Glibc
#endif

/// Binary cross-entropy on logits, fused with the sigmoid, over all elements (PyTorch
/// `binary_cross_entropy_with_logits`, mean): ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)),
/// finite for any logit. Gradient: (σ(x) − t)/M. Targets are in [0, 1].
public typealias BinaryCrossEntropy = ElementwiseLoss<LogisticLoss>

public enum LogisticLoss: ElementwiseRule {
    public static let name = "binary_cross_entropy"
    @inline(__always)
    public static func evaluate(_ x: Float, _ target: Float) -> (loss: Float, gradient: Float) {
        let sigmoid = x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
        return (max(x, 0) - x * target + log1pf(expf(-abs(x))), sigmoid - target)
    }
}
