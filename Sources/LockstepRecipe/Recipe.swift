import Foundation
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor
import LockstepTrain

/// Everything a training run needs, read from a YAML recipe plus `--set key=value` overrides.
///
/// ```yaml
/// name: fashion-mnist-mlp
/// seed: 42
/// model: {name: mlp, hidden: [512, 256], activation: relu}
/// data: {train: data/fashion-mnist-train.manifest.json, test: data/fashion-mnist-test.manifest.json}
/// training: {epochs: 2, batch_per_rank: 64}
/// optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
/// ```
/// Relative paths are taken from the working directory. Unknown keys and wrongly typed
/// values are errors that name the key.
public struct Recipe: Sendable {
    public struct Data: Sendable {
        public var train: String
        public var test: String?
        public var normalization: Normalization
        public var verifyChecksums: Bool
        /// Trust the verification caches for shards that did not change since verified.
        public var checksumCache: Bool
        /// Whether the training set's inputs are kept in memory.
        public var cache: InputCache
        /// Batches read ahead by a loader thread (nil: as `InputPipeline.prefetch(for:node:)` decides).
        public var prefetch: Int?
        /// Use only these classes (relabelled 0..<count in this order), train and test.
        public var classes: [Int]?
        /// Use at most this many training samples (a seeded draw).
        public var limit: Int?
        /// Channel replication, resizing, cropping and preset normalization after reading.
        public var transform: ImageTransform
        /// Random changes to training images (none by default).
        public var augmentation: Augmentation
    }

    /// The `pretrained`, `head`, `freeze`, `unfreeze_after_epochs` and `optimizer.param_groups` keys.
    public typealias FineTuning = FineTuningSettings

    /// The `training:` section.
    public typealias Training = TrainingSettings

    public struct OptimizerSettings: Sendable {
        public var name: OptimizerKind
        public var learningRate: Double
        public var momentum: Double
        public var dampening: Double
        public var nesterov: Bool
        public var weightDecay: Double
        public var beta1: Double
        public var beta2: Double
        public var epsilon: Double
        /// Clip gradients to this global L2 norm (after averaging), if set.
        public var clipGradNorm: Double?
    }

    /// How the learning rate moves; `referenceBatch` turns on the linear scaling rule.
    public struct Schedule: Sendable {
        public var kind: LearningRateSchedule.Kind
        public var warmupSteps: Int
        public var warmupEpochs: Int
        public var stepEpochs: Int
        public var gamma: Double
        public var minimumRate: Double
        public var referenceBatch: Int?
        /// `plateau`: the watched metric, and the factor applied when it stalls.
        public var plateau: MetricWatch
        public var plateauFactor: Double
    }

    public var name: String
    public var seed: UInt64
    public var output: String
    public var loss: LossKind
    /// Label smoothing for cross-entropy.
    public var labelSmoothing: Double
    public var model: ModelSpec
    public var data: Data
    public var training: Training
    public var optimizer: OptimizerSettings
    public var schedule: Schedule
    /// When and where checkpoints are written.
    public var checkpoint: CheckpointPolicy
    public var fineTuning: FineTuning
    /// Penalty groups (L1, L2, elastic-net) on parameters selected by name.
    public var regularization: [Regularizer]
    /// The recipe as YAML with overrides applied (saved into the run directory).
    public var resolvedYAML: String

    /// Reads the recipe at `path` and applies `overrides` (`key.path=value`).
    public static func load(_ path: String, overrides: [String] = []) throws -> Recipe {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecipeError("\(path): recipe not found or unreadable")
        }
        return try Recipe(yaml: String(decoding: data, as: UTF8.self), source: path, overrides: overrides)
    }

    /// Parses recipe text; `source` names it in errors. Every key is read, type-checked and
    /// range-checked here, on every rank, before any file is opened.
    public init(yaml: String, source: String = "<recipe>", overrides: [String] = []) throws {
        typealias K = RecipeKeys
        let doc = try RecipeDocument(text: yaml, source: source, overrides: overrides)
        name = try doc(K.name)
        seed = UInt64(try doc(K.seed))
        output = try doc.optional(K.output) ?? "runs/\(name)"
        loss = try doc(K.loss)
        labelSmoothing = try doc(K.labelSmoothing)
        model = ModelSpec(name: try doc(K.model), hidden: try doc(K.hidden), activation: try doc(K.activation), stem: try doc(K.stem),
                          widths: try doc.optional(K.widths).flatMap { $0.isEmpty ? nil : $0 }, dropout: try doc.optional(K.dropout).map(Float.init),
                          classifierWidth: try doc(K.classifierWidth), layers: try doc.optional(K.layers),
                          bidirectional: try doc(K.bidirectional), transformer: try Self.transformer(doc), code: try doc(K.code))
        data = try Self.data(doc)
        let batch = try doc(K.batchPerRank)
        training = Training(epochs: try doc(K.epochs), batchPerRank: batch,
                            evalBatchPerRank: try doc.optional(K.evalBatchPerRank) ?? max(batch, 256),
                            logEvery: try doc(K.logEvery), progress: try doc(K.progress),
                            tensorboard: try doc(K.tensorboard), maxSteps: try doc.optional(K.maxSteps), bucketMB: try doc(K.bucketMB), allreduceDType: try doc(K.allreduceDType),
                            stallTimeout: try doc(K.stallTimeout), consistencyCheckSteps: try doc.optional(K.consistencyCheckSteps),
                            onNonFinite: try doc(K.onNonFinite), accumulateSteps: try doc(K.accumulateSteps),
                            evalEverySteps: try doc.optional(K.evalEverySteps),
                            earlyStopping: doc.node("training.early_stopping") == nil ? nil
                                : MetricWatch(metric: try doc(K.earlyStopMonitor), patience: try doc(K.earlyStopPatience),
                                              minDelta: try doc(K.earlyStopMinDelta)))
        optimizer = try Self.optimizer(doc)
        schedule = Schedule(kind: try doc(K.schedule), warmupSteps: try doc(K.warmupSteps), warmupEpochs: try doc(K.warmupEpochs),
                            stepEpochs: try doc(K.stepEpochs), gamma: try doc(K.gamma), minimumRate: try doc(K.minimumRate),
                            referenceBatch: try doc.optional(K.referenceBatch),
                            plateau: MetricWatch(metric: try doc(K.plateauMonitor), patience: try doc(K.plateauPatience),
                                                 minDelta: try doc(K.plateauMinDelta)),
                            plateauFactor: try doc(K.plateauFactor))
        for (watch, key) in [(training.earlyStopping, "training.early_stopping.monitor"), (schedule.kind == .plateau ? schedule.plateau : nil, "schedule.monitor")] {
            if let watch, watch.metric.needsTestSet, data.test == nil {
                throw RecipeError("\(source): recipe key '\(key)' is \(watch.metric.rawValue), but there is no data.test to evaluate (watch train_loss, or set data.test)")
            }
        }
        // An autoencoder has no accuracy: its best checkpoint is the lowest test loss unless the recipe says.
        let monitor = try doc.optional(K.monitor) ?? (model.name == "autoencoder" ? .testLoss : .testAccuracy)
        checkpoint = CheckpointPolicy(directory: try doc.optional(K.checkpointDir), everySteps: try doc(K.everySteps),
                                      everyEpoch: try doc(K.everyEpoch), keepLast: try doc(K.keepLast),
                                      monitor: monitor == .none ? nil : monitor.rawValue,
                                      mode: try doc.optional(K.mode) ?? (monitor.rawValue.hasSuffix("loss") ? .min : .max))
        let digest = try doc.optional(K.pretrainedSHA256)
        if let digest, digest.count != 64 || !digest.allSatisfy(\.isHexDigit) {
            throw RecipeError("\(source): recipe key 'pretrained.sha256' must be 64 hexadecimal digits (sha256sum's output), got \(digest)")
        }
        fineTuning = FineTuning(pretrained: try doc.optional(K.pretrained), format: try doc(K.format), sha256: digest,
                                headClasses: try doc.optional(K.headClasses), freeze: ParameterSelection(try doc(K.freeze)),
                                unfreezeAfterEpochs: try doc.optional(K.unfreezeAfter),
                                parameterGroups: try doc.items("optimizer.param_groups").map {
                                    (ParameterSelection(try $0(K.groupParams)), try $0(K.groupScale))
                                })
        regularization = try doc.items("regularization").map { item in
            Regularizer(l1: Float(try item(K.l1)), l2: Float(try item(K.l2)), selection: ParameterSelection(try item(K.penalized)))
        }
        resolvedYAML = try doc.serialized()
        try checkReconstruction(source)
    }

    /// What a reconstructing model (the autoencoder) and the probability loss need: `bce` only
    /// on a model ending in a sigmoid, a loss that compares values (not classes), inputs that
    /// stay in [0, 1] as BCE targets, and no accuracy to watch.
    private func checkReconstruction(_ source: String) throws {
        if loss == .bce && !reconstructs {
            throw RecipeError("\(source): loss bce takes probabilities from a model that ends in a sigmoid (model autoencoder); a classifier's logits want cross_entropy or binary_cross_entropy")
        }
        guard reconstructs else { return }
        if loss == .crossEntropy {
            throw RecipeError("\(source): model autoencoder reproduces its input: set loss to bce or mse (cross_entropy compares classes)")
        }
        if [.bce, .binaryCrossEntropy].contains(loss),
           data.normalization.mean != [0] || data.normalization.std != [1] || data.transform != ImageTransform() {
            throw RecipeError("\(source): loss \(loss.rawValue) compares the reconstruction with the input as a probability in [0, 1], which data.normalize mean/std or data.preprocess would move it out of; drop them, or use loss mse")
        }
        let watched = [(training.earlyStopping?.metric, "training.early_stopping.monitor"),
                       (schedule.kind == .plateau ? schedule.plateau.metric : nil, "schedule.monitor"),
                       (checkpoint.monitor.flatMap(MetricWatch.Metric.init(rawValue:)), "checkpoint.monitor")]
        for case let (metric?, key) in watched where !metric.improvesDownwards {
            throw RecipeError("\(source): recipe key '\(key)' is \(metric.rawValue), but model autoencoder has no accuracy (watch test_loss or train_loss)")
        }
    }

    private static func transformer(_ doc: RecipeDocument) throws -> TransformerSpec {
        typealias K = RecipeKeys
        var spec = TransformerSpec()
        spec.dimension = try doc(K.dimension)
        spec.heads = try doc(K.heads)
        spec.feedForward = try doc.optional(K.feedForward)
        spec.positional = try doc(K.positional)
        spec.pooling = try doc(K.pooling)
        spec.normFirst = try doc(K.normFirst)
        spec.causal = try doc(K.causal)
        spec.vocabulary = try doc.optional(K.vocabulary)
        return spec
    }

    private static func optimizer(_ doc: RecipeDocument) throws -> OptimizerSettings {
        typealias K = RecipeKeys
        let kind = try doc(K.optimizer)
        let settings = OptimizerSettings(name: kind, learningRate: try doc.optional(K.learningRate) ?? (kind == .sgd ? 0.01 : 1e-3),
                                         momentum: try doc(K.momentum), dampening: try doc(K.dampening), nesterov: try doc(K.nesterov),
                                         weightDecay: try doc.optional(K.weightDecay) ?? (kind == .adamw ? 0.01 : 0),
                                         beta1: try doc(K.beta1), beta2: try doc(K.beta2), epsilon: try doc(K.epsilon),
                                         clipGradNorm: try doc.optional(K.clipGradNorm))
        if settings.nesterov && (settings.momentum == 0 || settings.dampening != 0) {
            throw RecipeError("\(doc.source): optimizer.nesterov needs momentum > 0 and dampening 0")
        }
        return settings
    }

    private static func data(_ doc: RecipeDocument) throws -> Data {
        typealias K = RecipeKeys
        let preprocess = try doc(K.preprocess)
        var normalization = Normalization(scale: try doc.optional(K.scale).map(Float.init),
                                          mean: try doc(K.mean).map(Float.init), std: try doc(K.std).map(Float.init))
        var transform = ImageTransform()
        if preprocess != .none {
            guard doc.node("data.normalize") == nil else {
                throw RecipeError("\(doc.source): data.preprocess \(preprocess.rawValue) sets the normalization itself; remove data.normalize")
            }
            // The preset normalizes after channel replication and resizing; reading only scales.
            transform = preprocess == .caffe ? .caffe() : .torch()
            normalization = Normalization(scale: preprocess == .caffe ? 1 : 1.0 / 255, mean: [0], std: [1])
        }
        transform.channels = try doc.optional(K.channels)
        func size(_ key: RecipeKey<[Int]>) throws -> (Int, Int)? {
            guard let v = try doc.optional(key) else { return nil }
            guard v.count == 2 else { throw RecipeError("\(doc.source): recipe key '\(key.path)' must be [height, width], got \(v)") }
            return (v[0], v[1])
        }
        transform.resize = try size(K.resize)
        transform.crop = try size(K.crop)
        return Data(train: try doc(K.train), test: try doc.optional(K.test), normalization: normalization,
                    verifyChecksums: try doc(K.verifyChecksums), checksumCache: try doc(K.checksumCache), cache: try doc(K.cache), prefetch: try doc.optional(K.prefetch), classes: try doc.optional(K.classes),
                    limit: try doc.optional(K.limit), transform: transform, augmentation: try augmentation(doc))
    }

    private static func augmentation(_ doc: RecipeDocument) throws -> Augmentation {
        typealias K = RecipeKeys
        var a = Augmentation()
        a.cropPadding = try doc.optional(K.cropPadding)
        a.resizedCropScale = try doc.optional(K.resizedCropScale)
        a.resizedCropRatio = try doc(K.resizedCropRatio)
        a.flip = try doc(K.flip)
        a.brightness = try doc(K.brightness)
        a.contrast = try doc(K.contrast)
        for (key, range) in [(K.resizedCropScale.path, a.resizedCropScale), (K.resizedCropRatio.path, a.resizedCropRatio)] {
            if let range, range.count != 2 || range[0] > range[1] {
                throw RecipeError("\(doc.source): recipe key '\(key)' must be [min, max] with min ≤ max, got \(range)")
            }
        }
        return a
    }
}
