import Foundation
import LockstepOperations

/// The end-of-run record scripts read (`summary.json`).
public struct RunSummary: Codable, Sendable {
    public var name: String
    public var worldSize: Int
    public var batchPerRank: Int
    public var globalBatch: Int
    public var epochs: Int
    public var steps: Int
    public var parameterCount: Int
    /// Mean training loss of the last epoch run (nil when this invocation ran no step).
    public var finalTrainLoss: Double?
    public var finalTrainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var samplesPerSec: Double
    public var wallTimeS: Double
    /// Steps dropped for non-finite gradients (`training.on_nonfinite: skip`).
    public var skippedSteps: Int
    /// The last evaluation's accuracy per class name, and its confusion matrix (rows: true class,
    /// columns: predicted, in `classNames` order).
    public var perClassAccuracy: [String: Double]?
    public var classNames: [String]?
    public var confusionMatrix: [[Int]]?
    /// Micro-batches per step (`training.accumulate_steps`).
    public var accumulateSteps: Int = 1
    /// Why early stopping ended the run (nil: it ran to its end).
    public var earlyStopping: String?

    package init(name: String, worldSize: Int, batchPerRank: Int, globalBatch: Int, epochs: Int, steps: Int,
                 parameterCount: Int, finalTrainLoss: Double? = nil, finalTrainAccuracy: Double? = nil,
                 testLoss: Double? = nil, testAccuracy: Double? = nil, samplesPerSec: Double, wallTimeS: Double,
                 skippedSteps: Int, perClassAccuracy: [String: Double]? = nil, classNames: [String]? = nil,
                 confusionMatrix: [[Int]]? = nil, accumulateSteps: Int = 1, earlyStopping: String? = nil) {
        self.name = name
        self.worldSize = worldSize
        self.batchPerRank = batchPerRank
        self.globalBatch = globalBatch
        self.epochs = epochs
        self.steps = steps
        self.parameterCount = parameterCount
        self.finalTrainLoss = finalTrainLoss
        self.finalTrainAccuracy = finalTrainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.samplesPerSec = samplesPerSec
        self.wallTimeS = wallTimeS
        self.skippedSteps = skippedSteps
        self.perClassAccuracy = perClassAccuracy
        self.classNames = classNames
        self.confusionMatrix = confusionMatrix
        self.accumulateSteps = accumulateSteps
        self.earlyStopping = earlyStopping
    }

    package enum CodingKeys: String, CodingKey {
        case name
        case worldSize = "world_size"
        case batchPerRank = "batch_per_rank"
        case globalBatch = "global_batch"
        case epochs, steps
        case parameterCount = "parameter_count"
        case finalTrainLoss = "final_train_loss"
        case finalTrainAccuracy = "final_train_accuracy"
        case testLoss = "test_loss"
        case testAccuracy = "test_accuracy"
        case samplesPerSec = "samples_per_sec"
        case wallTimeS = "wall_time_s"
        case skippedSteps = "skipped_steps"
        case perClassAccuracy = "per_class_accuracy"
        case classNames = "class_names"
        case confusionMatrix = "confusion_matrix"
        case accumulateSteps = "accumulate_steps"
        case earlyStopping = "early_stopping"
    }
}
