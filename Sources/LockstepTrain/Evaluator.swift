import LockstepData
import LockstepDistributed
import LockstepNN
import LockstepOperations
import LockstepOutputs

/// Evaluates a model on a dataset split over the ranks, each sample counted once: every rank
/// runs inference on its share, then the sums are added over ranks. Used after each training
/// epoch and by `lockstep eval`.
public struct Evaluator {
    /// Samples per rank per evaluation batch.
    public let batchPerRank: Int
    /// Normalization and transform of the inputs (augmentation is never applied).
    public let pipeline: InputPipeline
    public let targets: TargetKind
    /// Seeds the forward passes' context (layers that draw in inference, none of the standard ones).
    public let seed: UInt64
    public let communicator: any Communicator
    /// Told about each evaluation batch, when a stall watchdog runs; `step` is the training step.
    public var watchdog: StallWatchdog?
    public var step = 0
    /// Told after each batch of this rank's share: batches done, batches in all, this rank's running sums.
    var onBatch: ((_ done: Int, _ total: Int, _ running: MetricTotals) -> Void)?

    public init(batchPerRank: Int, pipeline: InputPipeline, targets: TargetKind, seed: UInt64, communicator: any Communicator) {
        self.batchPerRank = batchPerRank
        self.pipeline = pipeline
        self.targets = targets
        self.seed = seed
        self.communicator = communicator
    }

    /// Loss and accuracy of `model` over all of `data` (a collective call: every rank calls it).
    public func evaluate(_ model: Model, on data: ShardSet, loss: any Loss) throws -> Evaluation {
        let sampler = EvaluationSampler(numSamples: data.count, batchPerRank: batchPerRank,
                                        rank: communicator.rank, worldSize: communicator.size)
        let loader = pipeline.loader(data, plan: sampler.batches, training: false)
        defer { loader.stop() }
        var totals = MetricTotals(classifies: targets.classifies)
        var confusion = targets == .classes ? ConfusionMatrix(classes: data.numClasses) : nil
        var done = 0
        var context = ForwardContext(training: false, seed: seed, rank: communicator.rank)
        while true {
            watchdog?.mark("evaluating on the test set", step: step)
            guard let batch = try loader.next() else { break }
            context.padding = batch.padding
            let output = model.forward(batch.inputs, context)
            let value = try loss.forward(output, targets.targets(for: batch, classes: data.numClasses))
            totals.add(loss: Double(value), output: output, labels: batch.labels)
            confusion?.add(output, labels: batch.labels)
            done += 1
            onBatch?(done, sampler.batches.count, totals)
        }
        watchdog?.waiting("summing the evaluation metrics over ranks", step: step)
        let sums = try totals.summed(over: communicator)
        return Evaluation(loss: sums.meanLoss, accuracy: sums.accuracy, confusion: try confusion?.summed(over: communicator),
                          classNames: data.classNames)
    }
}
