import LockstepTensor

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// following `torch.optim.SGD`:
///
///     g ← g + λ·p                      (weight decay λ, coupled)
///     b ← μ·b + (1 − τ)·g              (b ← g on the first step; momentum μ, dampening τ)
///     g ← g + μ·b  if Nesterov, else g ← b
///     p ← p − η·g
public final class SGD: Optimizer {
    public var name: String { "sgd" }
    public var learningRate: Float
    public var gradientScale: Float = 1
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public var stepCount = 0
    private var velocity: SlotBuffer?

    public init(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public var slots: [(name: String, buffer: UnsafeMutableBufferPointer<Float>)] {
        velocity.map { [("momentum", $0.buffer)] } ?? []
    }

    public func prepareSlots(for arena: ParameterArena) {
        if momentum != 0 && velocity == nil { velocity = SlotBuffer(count: arena.count) }
    }

    public var hyperparameters: [String: Double] {
        ["lr": Double(learningRate), "momentum": Double(momentum), "dampening": Double(dampening),
         "nesterov": nesterov ? 1 : 0, "weight_decay": Double(weightDecay)]
    }

    public func step(_ arena: ParameterArena) {
        let p = arena.values, g = arena.gradients
        let wd = weightDecay, mu = momentum, damp = 1 - dampening, gs = gradientScale
        if mu != 0 { prepareSlots(for: arena) }
        let b = velocity?.buffer.baseAddress
        let first = stepCount == 0
        for (range, scale) in arena.updateRanges {
            let lr = learningRate * scale
            let pr = p + range.lowerBound, gr = g + range.lowerBound, n = range.count
            // One branch-free loop per case, so each vectorizes.
            if mu == 0 {
                for i in 0..<n { pr[i] -= lr * (gs * gr[i] + wd * pr[i]) }
                continue
            }
            let br = b! + range.lowerBound
            switch (first, nesterov) {
            case (true, false):
                for i in 0..<n { let gi = gs * gr[i] + wd * pr[i]; br[i] = gi; pr[i] -= lr * gi }
            case (true, true):
                for i in 0..<n { let gi = gs * gr[i] + wd * pr[i]; br[i] = gi; pr[i] -= lr * (gi + mu * gi) }
            case (false, false):
                for i in 0..<n { let gi = gs * gr[i] + wd * pr[i]; let bi = mu * br[i] + damp * gi; br[i] = bi; pr[i] -= lr * bi }
            case (false, true):
                for i in 0..<n {
                    let gi = gs * gr[i] + wd * pr[i]; let bi = mu * br[i] + damp * gi; br[i] = bi; pr[i] -= lr * (gi + mu * bi)
                }
            }
        }
        stepCount += 1
    }
}
