import LockstepNN
import LockstepTensor
import LockstepOptimizers

extension Recipe.OptimizerSettings {
    /// The optimizer these settings describe.
    public func make() -> any Optimizer {
        switch name {
        case "adam", "adamw":
            return Adam(learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
                        weightDecay: Float(weightDecay), decoupledWeightDecay: name == "adamw")
        default:
            return SGD(learningRate: Float(learningRate), momentum: Float(momentum), dampening: Float(dampening),
                       nesterov: nesterov, weightDecay: Float(weightDecay))
        }
    }
}

extension Recipe {
    /// The recipe's loss.
    public func makeLoss() -> any Loss {
        switch loss {
        case "mse": return MeanSquaredError()
        case "mae": return MeanAbsoluteError()
        case "binary_cross_entropy": return BinaryCrossEntropy()
        default: return SoftmaxCrossEntropy(labelSmoothing: Float(labelSmoothing))
        }
    }

    /// Whether targets are class indices (else one-hot values of the output's shape).
    public var usesClassTargets: Bool { loss == "cross_entropy" }

    /// The learning-rate schedule for a run with `globalBatch` and `stepsPerEpoch`.
    public func makeSchedule(globalBatch: Int, stepsPerEpoch: Int) -> LearningRateSchedule {
        var base = Float(optimizer.learningRate)
        if let reference = schedule.referenceBatch {
            base = LearningRateSchedule.linearlyScaled(base, globalBatch: globalBatch, referenceBatch: reference)
        }
        return LearningRateSchedule(kind: schedule.kind, baseRate: base,
                                    warmupSteps: schedule.warmupSteps + schedule.warmupEpochs * stepsPerEpoch,
                                    stepEpochs: schedule.stepEpochs, gamma: Float(schedule.gamma),
                                    minimumRate: Float(schedule.minimumRate))
    }
}
