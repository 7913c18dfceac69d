import LockstepData
import LockstepNN
import LockstepTensor
import LockstepOptimizers

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

    /// What a batch's predictions are compared with: the inputs themselves for an autoencoder,
    /// its labels for cross-entropy, one-hot rows of `classes` values for the other losses.
    public func targets(for batch: Batch, classes: Int) -> Targets {
        if reconstructs { return .values(batch.inputs) }
        guard !usesClassTargets else { return .classes(batch.labels) }
        let t = Tensor(shape: [batch.labels.count, classes])
        for (r, label) in batch.labels.enumerated() { t[r * classes + Int(label)] = 1 }
        return .values(t)
    }
}

extension Recipe.Data {
    /// Batches the loader reads ahead of `set` on a thread of its own: `data.prefetch`, else 2,
    /// or none (each batch read in the training thread) for inputs kept in memory on a `node`
    /// whose cores the ranks' BLAS threads all take: there a copy from memory is cheaper than
    /// a thread that competes for a rank's core and wakes twice a step. Sets read from files
    /// (evaluation, prediction) always get the thread.
    public func prefetch(for set: ShardSet, node: CoreBudget? = nil) -> Int {
        prefetch ?? (set.keepsInputsInMemory && node.map { !$0.hasSpareCore } == true ? 0 : 2)
    }
}
