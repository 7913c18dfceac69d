import LockstepModels
import LockstepOperations
import LockstepOutputs
import LockstepTensor

/// Transfer learning: start from pretrained weights, replace the head, freeze some layers (the
/// `pretrained`, `head`, `freeze`, `unfreeze_after_epochs` and `optimizer.param_groups` keys of
/// a recipe). The default is none of it: fresh parameters, all trained at the base rate.
public struct FineTuningSettings: Sendable {
    /// Weights file (Keras .h5, .safetensors, Lockstep weights or checkpoint), read by rank 0.
    public var pretrained: String?
    public var format: Pretrained.Format
    /// The pretrained file's expected sha256, checked before it is parsed.
    public var sha256: String?
    /// A new, randomly initialized last layer with this many classes (the file's is not loaded).
    public var headClasses: Int?
    /// The parameters to freeze.
    public var freeze: ParameterSelection
    /// Unfreeze everything from this epoch on (0-based count of epochs done).
    public var unfreezeAfterEpochs: Int?
    /// Learning-rate multipliers by parameter name; the first matching group wins.
    public var parameterGroups: [(selection: ParameterSelection, learningRateScale: Double)]

    public init(pretrained: String? = nil, format: Pretrained.Format = .auto, sha256: String? = nil, headClasses: Int? = nil,
                freeze: ParameterSelection = ParameterSelection([]), unfreezeAfterEpochs: Int? = nil,
                parameterGroups: [(selection: ParameterSelection, learningRateScale: Double)] = []) {
        self.pretrained = pretrained
        self.format = format
        self.sha256 = sha256
        self.headClasses = headClasses
        self.freeze = freeze
        self.unfreezeAfterEpochs = unfreezeAfterEpochs
        self.parameterGroups = parameterGroups
    }
}
