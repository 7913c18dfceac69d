import LockstepTensor

/// The per-element part of a loss that compares a prediction with a target of its shape.
public protocol ElementwiseRule {
    /// Name used in recipes and messages.
    static var name: String { get }
    /// ℓ(y, t) and ∂ℓ/∂y for one element.
    static func evaluate(_ y: Float, _ target: Float) -> (loss: Float, gradient: Float)
}

/// A loss over all M elements of a prediction against value targets of its shape, averaged
/// as PyTorch's `reduction="mean"`: L = (1/M) Σ ℓ(yᵢ, tᵢ), ∂L/∂yᵢ = ℓ′(yᵢ, tᵢ)/M. The rule is a
/// generic parameter, so each loss's loop is compiled with its rule inlined.
public final class ElementwiseLoss<Rule: ElementwiseRule>: Loss {
    public var name: String { Rule.name }
    private let gradient = Tensor(shape: [0])

    public init() {}

    public func forward(_ prediction: Tensor, _ targets: Targets) throws -> Float {
        let t = try valueTargets(targets, for: prediction)
        gradient.resize(prediction.shape)
        let m = prediction.count, y = prediction.data, tv = t.data, g = gradient.data
        let scale = 1 / Float(m)
        var sum = 0.0
        for i in 0..<m {
            let (value, derivative) = Rule.evaluate(y[i], tv[i])
            sum += Double(value)
            g[i] = derivative * scale
        }
        return Float(sum / Double(m))
    }

    public func backward() -> Tensor { gradient }
}
