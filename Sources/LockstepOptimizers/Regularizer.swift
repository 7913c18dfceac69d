import LockstepTensor

/// L1, L2 and elastic-net penalties on a group of parameters, with Keras's definitions:
///
///     penalty = l1·Σ|w| + l2·Σw²,   ∂penalty/∂w = l1·sign(w) + 2·l2·w
///
/// Applied to the averaged gradients (parameters are identical on every rank, so every rank
/// adds the same term). Unlike the optimizers' `weight_decay`, the penalty is part of the
/// reported loss.
public struct Regularizer: Sendable {
    public let l1: Float
    public let l2: Float
    /// The parameters penalized (default: weights, not biases or norms).
    public let selection: ParameterSelection

    public init(l1: Float = 0, l2: Float = 0, selection: ParameterSelection = .weights) {
        self.l1 = l1
        self.l2 = l2
        self.selection = selection
    }

    /// Adds the penalty's gradient to the covered parameters' gradients; returns the penalty.
    @discardableResult
    public func apply(_ parameters: [Parameter]) -> Double {
        var penalty = 0.0
        for p in parameters where selection.contains(p) {
            let w = p.value.data, g = p.gradient.data
            var s1 = 0.0, s2 = 0.0
            for i in 0..<p.count {
                let v = w[i]
                s1 += Double(abs(v))
                s2 += Double(v * v)
                g[i] += l1 * (v > 0 ? 1 : (v < 0 ? -1 : 0)) + 2 * l2 * v
            }
            penalty += Double(l1) * s1 + Double(l2) * s2
        }
        return penalty
    }
}

/// Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_`: when
/// ‖g‖₂ over all gradients exceeds `maxNorm`, every gradient is scaled by maxNorm/(‖g‖₂ + 1e-6).
public enum GradientClipping {
    /// Clips in place; returns the norm before clipping.
    @discardableResult
    public static func clip(_ arena: ParameterArena, maxNorm: Float) -> Float {
        let norm = Float(VectorOps.sumOfSquares(arena.gradients, count: arena.count).squareRoot())
        if norm > maxNorm { VectorOps.scale(arena.gradients, count: arena.count, by: maxNorm / (norm + 1e-6)) }
        return norm
    }
}
