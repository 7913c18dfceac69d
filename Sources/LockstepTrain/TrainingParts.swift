import LockstepData
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs

/// A training run as typed parts: what ``Trainer`` runs. A recipe is one way to make them
/// (`Recipe.trainingParts`); a Swift program can assemble its own from a model of its making,
/// any loss and optimizer, and shards it opened.
///
/// Every rank must hold the same parts (the same model architecture, settings and data
/// manifests); parameters need not agree, as rank 0's are broadcast when the run starts.
public struct TrainingParts {
    /// The run's name, in its start-up line and summary.
    public var name: String
    /// Draws the initial parameters (rank 0), the data order, dropout and augmentation.
    public var seed: UInt64
    public var model: Model
    /// How the start-up line names the model ("mlp", "my-unet").
    public var modelDescription: String
    public var loss: any Loss
    /// What the loss compares the outputs with.
    public var targets: TargetKind
    public var optimizer: any Optimizer
    /// The learning rate at each step (the optimizer's own rate is overwritten every step).
    public var schedule: LearningRateSchedule
    /// The learning-rate drop on a stalled metric, if any (on top of `schedule`).
    public var plateau: PlateauPolicy?
    public var data: TrainingData
    public var training: TrainingSettings
    /// L1/L2 penalties on parameters selected by name.
    public var regularization: [Regularizer]
    /// Clip the averaged gradients to this global L2 norm, if set.
    public var clipGradientNorm: Float?
    public var checkpoints: CheckpointPolicy
    public var fineTuning: FineTuningSettings
    /// How the run was made, as text (a recipe's resolved YAML): saved as the run directory's
    /// `recipe.yaml` and in `model.h5` and every checkpoint.
    public var description: String

    public init(name: String, seed: UInt64, model: Model, modelDescription: String = "custom", loss: any Loss,
                targets: TargetKind = .classes, optimizer: any Optimizer, schedule: LearningRateSchedule? = nil,
                plateau: PlateauPolicy? = nil, data: TrainingData, training: TrainingSettings = TrainingSettings(),
                regularization: [Regularizer] = [], clipGradientNorm: Float? = nil, checkpoints: CheckpointPolicy = CheckpointPolicy(),
                fineTuning: FineTuningSettings = FineTuningSettings(), description: String? = nil) {
        self.name = name
        self.seed = seed
        self.model = model
        self.modelDescription = modelDescription
        self.loss = loss
        self.targets = targets
        self.optimizer = optimizer
        self.schedule = schedule ?? LearningRateSchedule(kind: .constant, baseRate: optimizer.learningRate)
        self.plateau = plateau
        self.data = data
        self.training = training
        self.regularization = regularization
        self.clipGradientNorm = clipGradientNorm
        self.checkpoints = checkpoints
        self.fineTuning = fineTuning
        self.description = description ?? "# \(name): assembled by a Swift program\nname: \(name)\nseed: \(seed)\n"
    }

    /// Checks that the parts fit together: the model takes the pipeline's samples and, for
    /// class targets, has one output per class; the test set's samples are the training set's.
    public func validate() throws {
        let train = data.train
        let samples = try data.pipeline.transform.outputShape(train.sampleShape)
        guard model.inputShape == samples else {
            throw TrainingPartsError("\(name): the model takes inputs of shape \(model.inputShape), but \(train.manifestPath) gives samples of shape \(samples)")
        }
        if targets == .classes && model.outputShape != [train.numClasses] {
            throw TrainingPartsError("\(name): the model's output \(model.outputShape) does not fit the \(train.numClasses) classes of \(train.manifestPath) (class targets want [\(train.numClasses)])")
        }
        if let test = data.test, test.sampleShape != train.sampleShape || test.numClasses != train.numClasses {
            throw TrainingPartsError("\(name): the test set \(test.manifestPath) has samples \(test.sampleShape) with \(test.numClasses) classes, the training set \(train.sampleShape) with \(train.numClasses)")
        }
        if training.batchPerRank < 1 || training.epochs < 1 || training.accumulateSteps < 1 {
            throw TrainingPartsError("\(name): batchPerRank, epochs and accumulateSteps must be at least 1 (got \(training.batchPerRank), \(training.epochs), \(training.accumulateSteps))")
        }
    }
}
