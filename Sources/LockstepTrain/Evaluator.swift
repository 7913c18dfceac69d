import LockstepData
import LockstepDistributed
import LockstepNN

/// A model's mean loss and accuracy over a whole dataset, and its confusion matrix when the
/// targets are classes.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    /// Share of samples classified right; nil for a model that reconstructs its input.
    public var accuracy: Double?
    public var confusion: ConfusionMatrix?
    /// Class names in label order.
    public var classNames: [String] = []

    public init(loss: Double, accuracy: Double?, confusion: ConfusionMatrix? = nil, classNames: [String] = []) {
        self.loss = loss
        self.accuracy = accuracy
        self.confusion = confusion
        self.classNames = classNames
    }
}

/// Evaluates a model on a dataset split over the ranks, each sample counted once: every rank
/// runs inference on its share, then the sums are added over ranks. Used after each training
/// epoch and by `lockstep eval`.
public struct Evaluator {
    public let recipe: Recipe
    public let communicator: any Communicator
    /// Told about each evaluation batch, when a stall watchdog runs; `step` is the training step.
    public var watchdog: StallWatchdog?
    public var step = 0
    /// Told after each batch of this rank's share: batches done, batches in all, this rank's running sums.
    var onBatch: ((_ done: Int, _ total: Int, _ running: MetricTotals) -> Void)?

    public init(recipe: Recipe, communicator: any Communicator) {
        self.recipe = recipe
        self.communicator = communicator
    }

    /// Loss and accuracy of `model` over all of `data` (a collective call: every rank calls it).
    public func evaluate(_ model: Model, on data: ShardSet, loss: any Loss) throws -> Evaluation {
        let sampler = EvaluationSampler(numSamples: data.count, batchPerRank: recipe.training.evalBatchPerRank,
                                        rank: communicator.rank, worldSize: communicator.size)
        let loader = BatchLoader(source: data, plan: sampler.batches, normalization: recipe.data.normalization,
                                 transform: recipe.data.transform, prefetch: recipe.data.prefetch(for: data))
        defer { loader.stop() }
        var totals = MetricTotals(classifies: !recipe.reconstructs)
        var confusion = recipe.usesClassTargets ? ConfusionMatrix(classes: data.numClasses) : nil
        var done = 0
        var context = ForwardContext(training: false, seed: recipe.seed, rank: communicator.rank)
        while true {
            watchdog?.mark("evaluating on the test set", step: step)
            guard let batch = try loader.next() else { break }
            context.padding = batch.padding
            let output = model.forward(batch.inputs, context)
            let value = try loss.forward(output, recipe.targets(for: batch, classes: data.numClasses))
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
