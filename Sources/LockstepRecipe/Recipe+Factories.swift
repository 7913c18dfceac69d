import LockstepData
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor
import LockstepTrain

extension Recipe.OptimizerSettings {
    /// The optimizer these settings describe.
    public func make() -> any Optimizer {
        switch name {
        case .adam, .adamw:
            return Adam(learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
                        weightDecay: Float(weightDecay), decoupledWeightDecay: name == .adamw)
        case .sgd:
            return SGD(learningRate: Float(learningRate), momentum: Float(momentum), dampening: Float(dampening),
                       nesterov: nesterov, weightDecay: Float(weightDecay))
        }
    }
}

extension Recipe {
    /// The recipe's loss.
    public func makeLoss() -> any Loss {
        switch loss {
        case .mse: return MeanSquaredError()
        case .mae: return MeanAbsoluteError()
        case .binaryCrossEntropy: return BinaryCrossEntropy()
        case .bce: return ProbabilityBinaryCrossEntropy()
        case .crossEntropy: return SoftmaxCrossEntropy(labelSmoothing: Float(labelSmoothing))
        }
    }

    /// Whether targets are class indices (else one-hot values of the output's shape).
    public var usesClassTargets: Bool { loss == .crossEntropy && !reconstructs }

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

extension Recipe {
    /// Whether the model learns to reproduce its inputs (an autoencoder): its targets are the
    /// batch's inputs, and there is no accuracy, only the reconstruction loss.
    public var reconstructs: Bool { model.name == "autoencoder" }

    /// What a batch's predictions are compared with (see ``TargetKind``).
    public func targets(for batch: Batch, classes: Int) -> Targets { targetKind.targets(for: batch, classes: classes) }
}
