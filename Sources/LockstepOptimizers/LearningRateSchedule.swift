#if canImport(Glibc)
import Glibc
#endif

/// The learning rate as a function of the step.
///
///     base    = lr × (global batch / reference batch)     (linear scaling rule, when a reference is set)
///     warmup  : base × (s + 1)/W for the first W steps
///     constant: base
///     step    : base × γ^⌊epoch / stepEpochs⌋
///     cosine  : min + (base − min)·(1 + cos(π·t/T))/2, t = s − W, T = total − W
///     plateau : base, times the factor the trainer applies each time the watched metric stalls
public struct LearningRateSchedule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case constant, step, cosine, plateau }

    public var kind: Kind
    public var baseRate: Float
    public var warmupSteps: Int
    public var stepEpochs: Int
    public var gamma: Float
    public var minimumRate: Float

    public init(kind: Kind = .constant, baseRate: Float, warmupSteps: Int = 0, stepEpochs: Int = 30, gamma: Float = 0.1,
                minimumRate: Float = 0) {
        self.kind = kind
        self.baseRate = baseRate
        self.warmupSteps = warmupSteps
        self.stepEpochs = stepEpochs
        self.gamma = gamma
        self.minimumRate = minimumRate
    }

    /// `rate` scaled by globalBatch / referenceBatch (Goyal et al. 2017).
    public static func linearlyScaled(_ rate: Float, globalBatch: Int, referenceBatch: Int) -> Float {
        rate * Float(globalBatch) / Float(referenceBatch)
    }

    /// The rate for step `step` (0-based) of a run of `totalSteps` with `stepsPerEpoch`.
    public func rate(step: Int, stepsPerEpoch: Int, totalSteps: Int) -> Float {
        if step < warmupSteps { return baseRate * Float(step + 1) / Float(warmupSteps) }
        switch kind {
        case .constant, .plateau:  // the trainer scales `plateau`'s rate as the watched metric stalls
            return baseRate
        case .step:
            let epoch = step / max(stepsPerEpoch, 1)
            return baseRate * powf(gamma, Float(epoch / max(stepEpochs, 1)))
        case .cosine:
            let t = Float(step - warmupSteps), span = Float(max(totalSteps - warmupSteps, 1))
            return minimumRate + (baseRate - minimumRate) * (1 + cosf(Float.pi * min(t / span, 1))) / 2
        }
    }
}
