/// Mean absolute error over all elements: L = (1/M) Σ |y − t| (PyTorch `l1_loss`, mean).
/// Gradient: sign(y − t)/M, with sign(0) = 0.
public typealias MeanAbsoluteError = ElementwiseLoss<AbsoluteError>

public enum AbsoluteError: ElementwiseRule {
    public static let name = "mae"
    @inline(__always)
    public static func evaluate(_ y: Float, _ target: Float) -> (loss: Float, gradient: Float) {
        let d = y - target
        return (abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0))
    }
}
