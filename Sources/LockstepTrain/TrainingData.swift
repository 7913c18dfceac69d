import LockstepData
import LockstepDistributed
import LockstepOperations
import LockstepOutputs

/// The data a training run reads: the training set (each rank reads its share of every global
/// batch), an optional test set evaluated over all ranks, and the pipeline between the shards
/// and the model.
public struct TrainingData: Sendable {
    public var train: ShardSet
    public var test: ShardSet?
    public var pipeline: InputPipeline
    /// This rank's node (ranks and BLAS threads against its cores), for the loader's read-ahead.
    public var node: CoreBudget

    public init(train: ShardSet, test: ShardSet? = nil, pipeline: InputPipeline = InputPipeline(), node: CoreBudget) {
        self.train = train
        self.test = test
        self.pipeline = pipeline
        self.node = node
    }

    /// The data with this rank's node counted over `communicator` (a collective call).
    public init(train: ShardSet, test: ShardSet? = nil, pipeline: InputPipeline = InputPipeline(),
                communicator: any Communicator) throws {
        self.init(train: train, test: test, pipeline: pipeline, node: try CoreBudget.ofThisHost(communicator))
    }
}
