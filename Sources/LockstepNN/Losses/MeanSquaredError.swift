/// Mean squared error over all elements: L = (1/M) Σ (y − t)² (PyTorch `mse_loss`, mean).
/// Gradient: 2(y − t)/M.
public typealias MeanSquaredError = ElementwiseLoss<SquaredError>

public enum SquaredError: ElementwiseRule {
    public static let name = "mse"
    @inline(__always)
    public static func evaluate(_ y: Float, _ target: Float) -> (loss: Float, gradient: Float) {
        let d = y - target
        return (d * d, 2 * d)
    }
}
