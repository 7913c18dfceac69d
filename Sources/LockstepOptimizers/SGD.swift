import LockstepTensor

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// following `torch.optim.SGD`:
///
///     g ← g + λ·p                      (weight decay λ, coupled)
///     b ← μ·b + (1 − τ)·g              (b ← g on the first step; momentum μ, dampening τ)
///     g ← g + μ·b  if Nesterov, else g ← b
///     p ← p − η·g
public final class SGD: OptimizerBase, Optimizer {
    public var name: String { "sgd" }
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(learningRate: learningRate, slotNames: momentum != 0 ? ["momentum"] : [])
    }

    public var hyperparameters: [String: Double] {
        ["lr": Double(learningRate), "momentum": Double(momentum), "dampening": Double(dampening),
         "nesterov": nesterov ? 1 : 0, "weight_decay": Double(weightDecay)]
    }

    override public func update(_ s: UpdateSegment) {
        let p = s.values, g = s.gradients, n = s.count, lr = s.learningRate, gs = s.gradientScale
        let wd = weightDecay, mu = momentum, damp = 1 - dampening
        // One branch-free loop per case, so each vectorizes.
        guard mu != 0 else {
            for i in 0..<n { p[i] -= lr * (gs * g[i] + wd * p[i]) }
            return
        }
        let b = s.slots[0]
        switch (stepCount == 0, nesterov) {
        case (true, false):
            for i in 0..<n { let gi = gs * g[i] + wd * p[i]; b[i] = gi; p[i] -= lr * gi }
        case (true, true):
            for i in 0..<n { let gi = gs * g[i] + wd * p[i]; b[i] = gi; p[i] -= lr * (gi + mu * gi) }
        case (false, false):
            for i in 0..<n { let gi = gs * g[i] + wd * p[i]; let bi = mu * b[i] + damp * gi; b[i] = bi; p[i] -= lr * bi }
        case (false, true):
            for i in 0..<n {
                let gi = gs * g[i] + wd * p[i]; let bi = mu * b[i] + damp * gi; b[i] = bi; p[i] -= lr * (gi + mu * bi)
            }
        }
    }
}
