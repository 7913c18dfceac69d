import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// Adam (Kingma & Ba), and AdamW when `decoupledWeightDecay` is set, following `torch.optim.Adam`/`AdamW`:
///
///     Adam:  g ← g + λ·p                  AdamW:  p ← p − η·λ·p
///     m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
///     p ← p − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: Optimizer {
    public var name: String { decoupledWeightDecay ? "adamw" : "adam" }
    public var learningRate: Float
    public var gradientScale: Float = 1
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public var stepCount = 0
    private var m: SlotBuffer?
    private var v: SlotBuffer?

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public var slots: [(name: String, buffer: UnsafeMutableBufferPointer<Float>)] {
        guard let m, let v else { return [] }
        return [("exp_avg", m.buffer), ("exp_avg_sq", v.buffer)]
    }

    public func prepareSlots(for arena: ParameterArena) {
        if m == nil { m = SlotBuffer(count: arena.count); v = SlotBuffer(count: arena.count) }
    }

    public var hyperparameters: [String: Double] {
        ["lr": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2), "eps": Double(epsilon),
         "weight_decay": Double(weightDecay)]
    }

    public func step(_ arena: ParameterArena) {
        let p = arena.values, g = arena.gradients
        prepareSlots(for: arena)
        let mb = m!.buffer.baseAddress!, vb = v!.buffer.baseAddress!
        stepCount += 1
        let t = Double(stepCount)
        let c1 = Float(1 - pow(Double(beta1), t)), c2 = Float(1 - pow(Double(beta2), t))
        let b1 = beta1, b2 = beta2, eps = epsilon, invSqrtC2 = 1 / c2.squareRoot(), gs = gradientScale
        let coupled = decoupledWeightDecay ? 0 : weightDecay
        for (range, scale) in arena.updateRanges {
            let lr = learningRate * scale
            let stepSize = lr / c1
            let decay = decoupledWeightDecay ? 1 - lr * weightDecay : 1
            let lo = range.lowerBound
            let pr = p + lo, gr = g + lo, mr = mb + lo, vr = vb + lo
            for i in 0..<range.count {
                let gi = gs * gr[i] + coupled * pr[i]
                let mi = b1 * mr[i] + (1 - b1) * gi
                let vi = b2 * vr[i] + (1 - b2) * gi * gi
                mr[i] = mi
                vr[i] = vi
                pr[i] = pr[i] * decay - stepSize * mi / (vi.squareRoot() * invSqrtC2 + eps)
            }
        }
    }
}
