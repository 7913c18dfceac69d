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

/// Binary cross-entropy on probabilities (a sigmoid's output), PyTorch's `nn.BCELoss` (mean):
/// ℓ = −(t·log y + (1 − t)·log(1 − y)), each log clamped at −100 as PyTorch's; gradient
/// (y − t)/max(y(1 − y), 10⁻¹²). For a model that ends in `Sigmoid` (an autoencoder's
/// decoder); `BinaryCrossEntropy` takes logits and is the steadier choice otherwise.
public typealias ProbabilityBinaryCrossEntropy = ElementwiseLoss<ProbabilityLogLoss>

public enum ProbabilityLogLoss: ElementwiseRule {
    public static let name = "bce"
    @inline(__always)
    public static func evaluate(_ y: Float, _ target: Float) -> (loss: Float, gradient: Float) {
        let logY = max(logf(y), -100), log1mY = max(log1pf(-y), -100)
        return (-(target * logY + (1 - target) * log1mY), (y - target) / max(y * (1 - y), 1e-12))
    }
}
