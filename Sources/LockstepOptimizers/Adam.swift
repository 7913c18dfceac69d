import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// Adam (Kingma & Ba), and AdamW when `decoupledWeightDecay` is set, following `torch.optim.Adam`/`AdamW`:
///
///     Adam:  g ← g + λ·p                  AdamW:  p ← p − η·λ·p
///     m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
///     p ← p − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: OptimizerBase, Optimizer {
    public var name: String { decoupledWeightDecay ? "adamw" : "adam" }
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(learningRate: learningRate, slotNames: ["exp_avg", "exp_avg_sq"])
    }

    public var hyperparameters: [String: Double] {
        ["lr": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2), "eps": Double(epsilon),
         "weight_decay": Double(weightDecay)]
    }

    override public func update(_ s: UpdateSegment) {
        let t = Double(stepCount + 1)  // this step's number, from 1
        let c1 = Float(1 - pow(Double(beta1), t)), c2 = Float(1 - pow(Double(beta2), t))
        let b1 = beta1, b2 = beta2, eps = epsilon, invSqrtC2 = 1 / c2.squareRoot(), gs = s.gradientScale
        let coupled = decoupledWeightDecay ? 0 : weightDecay
        let stepSize = s.learningRate / c1
        let decay = decoupledWeightDecay ? 1 - s.learningRate * weightDecay : 1
        let p = s.values, g = s.gradients, m = s.slots[0], v = s.slots[1]
        for i in 0..<s.count {
            let gi = gs * g[i] + coupled * p[i]
            let mi = b1 * m[i] + (1 - b1) * gi
            let vi = b2 * v[i] + (1 - b2) * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = p[i] * decay - stepSize * mi / (vi.squareRoot() * invSqrtC2 + eps)
        }
    }
}
