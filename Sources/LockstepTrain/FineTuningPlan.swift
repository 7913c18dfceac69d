import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTensor

/// How transfer learning treats a model's parameters over a run, as `FineTuningSettings` (a recipe's `freeze`,
/// `unfreeze_after_epochs` and `optimizer.param_groups`) say: which are frozen in which epoch,
/// and each one's learning-rate multiplier.
struct FineTuningPlan {
    let settings: FineTuningSettings

    /// Sets every parameter's learning-rate multiplier: the first matching group's, else 1.
    func applyLearningRateScales(_ model: Model) {
        for p in model.parameters {
            p.learningRateScale = Float(settings.parameterGroups.first { $0.selection.contains(p) }?.learningRateScale ?? 1)
        }
    }

    /// Whether the frozen parameters are thawed in `epoch` (0-based).
    func thawed(inEpoch epoch: Int) -> Bool { settings.unfreezeAfterEpochs.map { epoch >= $0 } ?? false }

    /// Whether `epoch` is the one in which frozen parameters are released.
    func unfreezes(atEpoch epoch: Int) -> Bool {
        !settings.freeze.isEmpty && settings.unfreezeAfterEpochs == epoch
    }

    /// Freezes the selected parameters for `epoch` (none once thawed); returns how many
    /// scalars are frozen.
    @discardableResult
    func applyFreezing(_ model: Model, epoch: Int) -> Int {
        let thawed = thawed(inEpoch: epoch)
        var frozen = 0
        for p in model.parameters {
            p.isFrozen = !thawed && settings.freeze.contains(p)
            if p.isFrozen { frozen += p.count }
        }
        return frozen
    }
}
