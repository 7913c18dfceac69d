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
        let wd = weightDecay, mu = momentum, damp = 1 - dampening
        if mu != 0 { prepareSlots(for: arena) }
        let b = velocity?.buffer.baseAddress
        let first = stepCount == 0
        for (range, scale) in arena.updateRanges {
            let lr = learningRate * scale
            if mu == 0 {
                for i in range { p[i] -= lr * (g[i] + wd * p[i]) }
                continue
            }
            let b = b!
            for i in range {
                let gi = g[i] + wd * p[i]
                let bi = first ? gi : mu * b[i] + damp * gi
                b[i] = bi
                p[i] -= lr * (nesterov ? gi + mu * bi : bi)
            }
        }
        stepCount += 1
    }
}
