import Foundation
import LockstepData
import LockstepModels
import LockstepOptimizers

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
        public var prefetch: Int
        /// Use only these classes (relabelled 0..<count in this order), train and test.
        public var classes: [Int]?
        /// Use at most this many training samples (a seeded draw).
        public var limit: Int?
        /// Channel replication, resizing, cropping and preset normalization after reading.
        public var transform: ImageTransform
    }

    /// Transfer learning: start from pretrained weights, replace the head, freeze some layers.
    public struct FineTuning: Sendable {
        /// Weights file (Keras .h5, .safetensors, Lockstep weights or checkpoint), read by rank 0.
        public var pretrained: String?
        public var format: String
        /// A new, randomly initialized last layer with this many classes (the file's is not loaded).
        public var headClasses: Int?
        /// Name patterns of parameters to freeze.
        public var freeze: [String]
        /// Unfreeze everything from this epoch on (0-based count of epochs done).
        public var unfreezeAfterEpochs: Int?
        /// Learning-rate multipliers by name pattern; the first matching group wins.
        public var parameterGroups: [(patterns: [String], learningRateScale: Double)]
    }

    public struct Training: Sendable {
        public var epochs: Int
        public var batchPerRank: Int
        public var evalBatchPerRank: Int
        public var logEvery: Int
        /// Stop after this many steps in all (for tests and quick checks).
        public var maxSteps: Int?
        /// Gradient allreduce bucket size in MiB.
        public var bucketMB: Double
    }

    public struct OptimizerSettings: Sendable {
        public var name: String
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
    }

    public var name: String
    public var seed: UInt64
    public var output: String
    public var loss: String
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

    public static let losses = ["cross_entropy", "mse", "mae", "binary_cross_entropy"]
    public static let optimizers = ["sgd", "adam", "adamw"]

    /// Reads the recipe at `path` and applies `overrides` (`key.path=value`).
    public static func load(_ path: String, overrides: [String] = []) throws -> Recipe {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecipeError("\(path): recipe not found or unreadable")
        }
        return try Recipe(yaml: String(decoding: data, as: UTF8.self), source: path, overrides: overrides)
    }

    /// Parses recipe text; `source` names it in errors.
    public init(yaml: String, source: String = "<recipe>", overrides: [String] = []) throws {
        let doc = try RecipeDocument(text: yaml, source: source, overrides: overrides)
        name = try doc.string("name", default: "run")
        let seedValue = try doc.int("seed", default: 0, min: 0)
        seed = UInt64(seedValue)
        output = try doc.string("output", default: "runs/\(name)")
        loss = try doc.string("loss.name", default: "cross_entropy")
        guard Self.losses.contains(loss) else {
            throw RecipeError("\(source): recipe key 'loss' is \"\(loss)\"; known: \(Self.losses.joined(separator: ", "))")
        }
        labelSmoothing = try doc.double("loss.label_smoothing", default: 0, min: 0)
        guard labelSmoothing < 1 else { throw RecipeError("\(source): recipe key 'loss.label_smoothing' must be < 1, got \(labelSmoothing)") }
        let widths = try doc.intList("model.widths", default: [])
        model = ModelSpec(name: try doc.string("model.name"),
                          hidden: try doc.intList("model.hidden", default: [512, 256]),
                          activation: try doc.string("model.activation", default: "relu"),
                          stem: try doc.string("model.stem", default: "imagenet"),
                          widths: widths.isEmpty ? nil : widths,
                          dropout: Float(try doc.double("model.dropout", default: 0.5, min: 0)))
        var mean = try doc.doubleList("data.normalize.mean", default: [0]).map(Float.init)
        var std = try doc.doubleList("data.normalize.std", default: [1]).map(Float.init)
        var scale = Float(try doc.double("data.normalize.scale", default: 1.0 / 255))
        if std.contains(where: { $0 <= 0 }) { throw RecipeError("\(source): recipe key 'data.normalize.std' must be positive, got \(std)") }
        let preprocess = try doc.string("data.preprocess", default: "none")
        var transform: ImageTransform
        switch preprocess {
        case "none": transform = ImageTransform()
        case "caffe", "torch":
            guard doc.node("data.normalize") == nil else {
                throw RecipeError("\(source): data.preprocess \(preprocess) sets the normalization itself; remove data.normalize")
            }
            // The preset normalizes after channel replication and resizing; reading only scales.
            transform = preprocess == "caffe" ? .caffe() : .torch()
            (scale, mean, std) = (preprocess == "caffe" ? 1 : 1.0 / 255, [0], [1])
        default:
            throw RecipeError("\(source): recipe key 'data.preprocess' is \"\(preprocess)\"; known: none, caffe (Keras weights), torch (torchvision weights)")
        }
        transform.channels = try doc.optionalInt("data.channels", min: 1)
        func size(_ key: String) throws -> (Int, Int)? {
            let v = try doc.intList(key, default: [])
            if v.isEmpty { return nil }
            guard v.count == 2, v.allSatisfy({ $0 > 0 }) else { throw RecipeError("\(source): recipe key '\(key)' must be [height, width], got \(v)") }
            return (v[0], v[1])
        }
        transform.resize = try size("data.resize")
        transform.crop = try size("data.crop")
        data = Data(train: try doc.string("data.train"),
                    test: try doc.optionalString("data.test"),
                    normalization: Normalization(scale: scale, mean: mean, std: std),
                    verifyChecksums: try doc.bool("data.verify_checksums", default: true),
                    prefetch: try doc.int("data.prefetch", default: 2, min: 1),
                    classes: doc.node("data.classes") == nil ? nil : try doc.intList("data.classes", default: []),
                    limit: try doc.optionalInt("data.limit", min: 1),
                    transform: transform)
        let batch = try doc.int("training.batch_per_rank", min: 1)
        training = Training(epochs: try doc.int("training.epochs", default: 1, min: 1),
                            batchPerRank: batch,
                            evalBatchPerRank: try doc.int("training.eval_batch_per_rank", default: max(batch, 256), min: 1),
                            logEvery: try doc.int("training.log_every", default: 100, min: 1),
                            maxSteps: try doc.optionalInt("training.max_steps", min: 1),
                            bucketMB: try doc.double("training.bucket_mb", default: 25, min: 0.001))
        let opt = try doc.string("optimizer.name", default: "sgd")
        guard Self.optimizers.contains(opt) else {
            throw RecipeError("\(source): recipe key 'optimizer.name' is \"\(opt)\"; known: \(Self.optimizers.joined(separator: ", "))")
        }
        optimizer = OptimizerSettings(name: opt,
                                      learningRate: try doc.double("optimizer.lr", default: opt == "sgd" ? 0.01 : 1e-3, min: 0),
                                      momentum: try doc.double("optimizer.momentum", default: 0, min: 0),
                                      dampening: try doc.double("optimizer.dampening", default: 0, min: 0),
                                      nesterov: try doc.bool("optimizer.nesterov", default: false),
                                      weightDecay: try doc.double("optimizer.weight_decay", default: opt == "adamw" ? 0.01 : 0, min: 0),
                                      beta1: try doc.double("optimizer.beta1", default: 0.9, min: 0),
                                      beta2: try doc.double("optimizer.beta2", default: 0.999, min: 0),
                                      epsilon: try doc.double("optimizer.eps", default: 1e-8, min: 0),
                                      clipGradNorm: doc.node("optimizer.clip_grad_norm") == nil ? nil
                                          : try doc.double("optimizer.clip_grad_norm", min: 0))
        let kindName = try doc.string("schedule.name", default: "constant")
        guard let kind = LearningRateSchedule.Kind(rawValue: kindName) else {
            throw RecipeError("\(source): recipe key 'schedule.name' is \"\(kindName)\"; known: \(LearningRateSchedule.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        schedule = Schedule(kind: kind, warmupSteps: try doc.int("schedule.warmup_steps", default: 0, min: 0),
                            warmupEpochs: try doc.int("schedule.warmup_epochs", default: 0, min: 0),
                            stepEpochs: try doc.int("schedule.step_epochs", default: 30, min: 1),
                            gamma: try doc.double("schedule.gamma", default: 0.1, min: 0),
                            minimumRate: try doc.double("schedule.min_lr", default: 0, min: 0),
                            referenceBatch: try doc.optionalInt("schedule.reference_batch", min: 1))
        let monitor = try doc.string("checkpoint.monitor", default: "test_accuracy")
        let mode = try doc.string("checkpoint.mode", default: monitor.hasSuffix("loss") ? "min" : "max")
        guard ["min", "max"].contains(mode) else { throw RecipeError("\(source): recipe key 'checkpoint.mode' must be min or max, got \(mode)") }
        checkpoint = CheckpointPolicy(directory: try doc.optionalString("checkpoint.dir"),
                                      everySteps: try doc.int("checkpoint.every_steps", default: 0, min: 0),
                                      everyEpoch: try doc.bool("checkpoint.every_epoch", default: true),
                                      keepLast: try doc.int("checkpoint.keep_last", default: 3, min: 1),
                                      monitor: monitor == "none" ? nil : monitor, mode: mode)
        fineTuning = FineTuning(pretrained: try doc.optionalString("pretrained.file"),
                                format: try doc.string("pretrained.format", default: "auto"),
                                headClasses: try doc.optionalInt("head.classes", min: 1),
                                freeze: try doc.stringList("freeze", default: []),
                                unfreezeAfterEpochs: try doc.optionalInt("unfreeze_after_epochs", min: 0),
                                parameterGroups: try doc.items("optimizer.param_groups").map {
                                    (try $0.stringList("params", default: []), try $0.double("lr_scale", min: 0))
                                })
        regularization = try doc.items("regularization").map { item in
            Regularizer(l1: Float(try item.double("l1", default: 0, min: 0)), l2: Float(try item.double("l2", default: 0, min: 0)),
                        patterns: try item.stringList("params", default: Regularizer.weightsOnly))
        }
        if optimizer.nesterov && (optimizer.momentum == 0 || optimizer.dampening != 0) {
            throw RecipeError("\(source): optimizer.nesterov needs momentum > 0 and dampening 0")
        }
        resolvedYAML = try doc.serialized()
    }
}
