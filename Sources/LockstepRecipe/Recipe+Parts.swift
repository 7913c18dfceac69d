import Foundation
import LockstepData
import LockstepDistributed
import LockstepMonitor
import LockstepOperations
import LockstepOutputs
import LockstepTrain

/// A recipe as the typed parts of a training run: `lockstep train` is `Trainer(recipe:)`,
/// which makes them when the run starts.
extension Recipe {
    /// The pipeline of `data.normalize`, `data.preprocess`/`resize`/`crop`, `data.augment` and `data.prefetch`.
    public var pipeline: InputPipeline {
        InputPipeline(normalization: data.normalization, transform: data.transform, augmentation: data.augmentation,
                      prefetch: data.prefetch)
    }

    /// What the recipe's loss compares outputs with.
    public var targetKind: TargetKind { reconstructs ? .inputs : usesClassTargets ? .classes : .oneHot }

    /// `schedule: plateau`'s learning-rate drops.
    public var plateauPolicy: PlateauPolicy? {
        guard schedule.kind == .plateau else { return nil }
        return PlateauPolicy(watch: schedule.plateau, factor: schedule.plateauFactor, minimumRate: schedule.minimumRate)
    }

    /// The parts of the recipe's training run, on every rank (a collective call): the data
    /// opened and verified, the model built for it, the loss, optimizer and schedule.
    /// `runDirectory` keeps the verification cache; `resuming` skips the check that the
    /// pretrained file exists (a checkpoint replaces it); `say` prints on rank 0.
    public func trainingParts(_ comm: any Communicator, runDirectory: String, resuming: Bool, startup: inout StartupTimes,
                              say: (String) -> Void) throws -> TrainingParts {
        // Before any shard is opened: only rank 0 reads the pretrained file, and an error on it ends every rank.
        if comm.rank == 0, !resuming, let file = fineTuning.pretrained, !FileManager.default.fileExists(atPath: file) {
            throw RecipeError("pretrained weights \(file) not found (recipe key 'pretrained')")
        }
        let node = try CoreBudget.ofThisHost(comm)
        let (train, test) = try openDataOnEveryRank(comm, node: node, runDirectory: runDirectory, startup: &startup, say: say)
        if let k = fineTuning.headClasses, k != train.numClasses {
            throw RecipeError("head.classes is \(k) but the training data has \(train.numClasses) classes")
        }
        let geometry = try DistributedSampler(numSamples: train.count, batchPerRank: training.samplesPerRankPerStep,
                                              rank: comm.rank, worldSize: comm.size, seed: seed)
        let model = try buildModel(for: train)
        startup.lap("model")
        return TrainingParts(name: name, seed: seed, model: model, modelDescription: self.model.name, loss: makeLoss(),
                             targets: targetKind, optimizer: optimizer.make(),
                             schedule: makeSchedule(globalBatch: geometry.globalBatch, stepsPerEpoch: geometry.stepsPerEpoch),
                             plateau: plateauPolicy, data: TrainingData(train: train, test: test, pipeline: pipeline, node: node),
                             training: training, regularization: regularization,
                             clipGradientNorm: optimizer.clipGradNorm.map { Float($0) }, checkpoints: checkpoint,
                             fineTuning: fineTuning, description: resolvedYAML)
    }
}

extension Trainer {
    /// A trainer of `recipe`'s run, whose parts are made on every rank when `run` starts;
    /// its outputs go to `outputDirectory`, else the recipe's `output`.
    public convenience init(recipe: Recipe, communicator: any Communicator, outputDirectory: String? = nil,
                            print: @escaping (String) -> Void = { Console.shared.line($0) }) {
        let directory = outputDirectory ?? recipe.output
        let say: (String) -> Void = { line in if communicator.rank == 0 { print(line) } }
        self.init(communicator: communicator, outputDirectory: directory, print: print) { startup, resuming in
            try recipe.trainingParts(communicator, runDirectory: directory, resuming: resuming, startup: &startup, say: say)
        }
    }
}

extension Evaluator {
    /// The evaluator of `recipe`'s model: its evaluation batch, pipeline and targets.
    public init(recipe: Recipe, communicator: any Communicator) {
        self.init(batchPerRank: recipe.training.evalBatchPerRank, pipeline: recipe.pipeline, targets: recipe.targetKind,
                  seed: recipe.seed, communicator: communicator)
    }
}
