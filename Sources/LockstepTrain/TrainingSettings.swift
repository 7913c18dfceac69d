import LockstepDistributed
import LockstepOperations
import LockstepOutputs

/// How a training run loops: epochs, batches, logging, evaluation, and the policies that
/// watch it (the `training:` section of a recipe; each default is the recipe key's).
public struct TrainingSettings: Sendable {
    public var epochs: Int
    public var batchPerRank: Int
    public var evalBatchPerRank: Int
    public var logEvery: Int
    /// Rank 0's console: bar, lines or nothing per step.
    public var progress: ProgressStyle
    /// Rank 0 writes TensorBoard event files.
    public var tensorboard: Bool
    /// Stop after this many steps in all (for tests and quick checks).
    public var maxSteps: Int?
    /// Gradient allreduce bucket size in MiB.
    public var bucketMB: Double
    /// What gradients travel as between ranks.
    public var allreduceDType: GradientReducer.Precision
    /// Seconds without progress before the stall watchdog ends the job (0: off).
    public var stallTimeout: Double
    /// Compare the replicas every this many steps too (they are at checkpoints and epoch ends).
    public var consistencyCheckSteps: Int?
    /// What a step with non-finite gradients does.
    public var onNonFinite: NonFinitePolicy
    /// Micro-batches of `batchPerRank` per step (gradient accumulation).
    public var accumulateSteps: Int
    /// Evaluate the test set every this many steps too.
    public var evalEverySteps: Int?
    /// Stop when this watch runs out of patience.
    public var earlyStopping: MetricWatch?
    /// Samples per rank per step: `batchPerRank` × `accumulateSteps`.
    public var samplesPerRankPerStep: Int { batchPerRank * accumulateSteps }

    public init(epochs: Int = 1, batchPerRank: Int = 32, evalBatchPerRank: Int? = nil, logEvery: Int = 100,
                progress: ProgressStyle = .auto, tensorboard: Bool = true, maxSteps: Int? = nil, bucketMB: Double = 25,
                allreduceDType: GradientReducer.Precision = .float32, stallTimeout: Double = 600,
                consistencyCheckSteps: Int? = nil, onNonFinite: NonFinitePolicy = .stop, accumulateSteps: Int = 1,
                evalEverySteps: Int? = nil, earlyStopping: MetricWatch? = nil) {
        self.epochs = epochs
        self.batchPerRank = batchPerRank
        self.evalBatchPerRank = evalBatchPerRank ?? max(batchPerRank, 256)
        self.logEvery = logEvery
        self.progress = progress
        self.tensorboard = tensorboard
        self.maxSteps = maxSteps
        self.bucketMB = bucketMB
        self.allreduceDType = allreduceDType
        self.stallTimeout = stallTimeout
        self.consistencyCheckSteps = consistencyCheckSteps
        self.onNonFinite = onNonFinite
        self.accumulateSteps = accumulateSteps
        self.evalEverySteps = evalEverySteps
        self.earlyStopping = earlyStopping
    }
}
