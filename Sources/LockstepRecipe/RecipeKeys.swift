import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor
import LockstepTrain

/// Every key a recipe accepts, each declared once. `Recipe.init` reads them, `RecipeDocument`
/// rejects any other key, and `lockstep recipe-keys` prints this table for the README.
enum RecipeKeys {
    // Top level
    static let name = RecipeKey<String>(path: "name", absent: .value("run"), help: "Run name, in logs and the default output directory.")
    static let seed = RecipeKey<Int>(path: "seed", absent: .value(0), minimum: 0,
                                     help: "Seeds initialization, data order, dropout and data subsets.")
    static let output = RecipeKey<String>(path: "output", absent: .derived("`runs/NAME`"),
                                          help: "Run directory: recipe, metrics.csv, summary.json, model.h5, checkpoints.")

    // model
    static let model = RecipeKey<String>(path: "model.name", absent: .required, choices: ModelZoo.names, help: "The network.")
    static let hidden = RecipeKey<[Int]>(path: "model.hidden", absent: .value([512, 256]), minimum: 1, maximum: 1_048_576,
                                         help: "MLP hidden layer widths; LSTM/GRU/RNN: [units].")
    static let activation = RecipeKey<String>(path: "model.activation", absent: .value("relu"), choices: Activations.names,
                                              help: "Hidden activation (MLP, LeNet-5).")
    static let stem = RecipeKey<ResNet.Stem>(path: "model.stem", absent: .value(.imagenet),
                                             help: "ResNet stem: 7×7/2 + max-pool, or 3×3/1 for small images.")
    static let widths = RecipeKey<[Int]>(path: "model.widths", absent: .unset("torchvision's"), minimum: 1, maximum: 65_536,
                                         help: "Stage widths for narrow variants: ResNet's 4, VGG's 5; the autoencoder's 2 (16, 32).")
    static let classifierWidth = RecipeKey<Int>(path: "model.classifier_width", absent: .value(4096), minimum: 1, maximum: 1_048_576,
                                                help: "Width of VGG's two hidden classifier layers.")
    static let dropout = RecipeKey<Double>(path: "model.dropout", absent: .derived("0.5 in VGG, 0.1 in the Transformer, none elsewhere"),
                                           minimum: 0, below: 1,
                                           help: "Dropout probability: VGG's classifier, after each MLP hidden layer, between recurrent layers, in Transformer blocks.")
    static let code = RecipeKey<Int>(path: "model.code", absent: .value(32), minimum: 1, maximum: 1_048_576,
                                     help: "The autoencoder's code size (its bottleneck).")
    static let layers = RecipeKey<Int>(path: "model.layers", absent: .derived("1 recurrent layer, 2 Transformer blocks"), minimum: 1, maximum: 1024,
                                       help: "Stacked LSTM/GRU/RNN layers, or Transformer encoder blocks.")
    static let bidirectional = RecipeKey<Bool>(path: "model.bidirectional", absent: .value(false),
                                               help: "LSTM/GRU/RNN layers read the sequence both ways.")
    static let dimension = RecipeKey<Int>(path: "model.dim", absent: .value(64), minimum: 1, maximum: 65_536, help: "Transformer width (d_model).")
    static let heads = RecipeKey<Int>(path: "model.heads", absent: .value(4), minimum: 1, maximum: 1024, help: "Transformer attention heads.")
    static let feedForward = RecipeKey<Int>(path: "model.feed_forward", absent: .derived("4 × dim"), minimum: 1, maximum: 1_048_576,
                                            help: "Transformer feed-forward width.")
    static let positional = RecipeKey<PositionalEncoding.Kind>(path: "model.positional", absent: .value(.sinusoidal),
                                                              help: "Transformer position codes: fixed sinusoids, or learned.")
    static let pooling = RecipeKey<SequencePool.Mode>(path: "model.pooling", absent: .value(.first),
                                                     help: "Transformer head reads a [CLS] token (`first`), or the mean over positions.")
    static let normFirst = RecipeKey<Bool>(path: "model.norm_first", absent: .value(true), help: "Pre-norm Transformer blocks (else post-norm).")
    static let causal = RecipeKey<Bool>(path: "model.causal", absent: .value(false), help: "Attention sees only earlier positions.")
    static let vocabulary = RecipeKey<Int>(path: "model.vocabulary", absent: .unset("inputs are feature vectors"), minimum: 1,
                                           maximum: 100_000_000, help: "Transformer inputs are token ids below this (an embedding).")

    // loss
    static let loss = RecipeKey<LossKind>(path: "loss.name", absent: .value(.crossEntropy), isShorthand: true,
                                          help: "Training objective (`loss: mse` is short for `loss: {name: mse}`); `binary_cross_entropy` takes logits, `bce` probabilities (after a sigmoid).")
    static let labelSmoothing = RecipeKey<Double>(path: "loss.label_smoothing", absent: .value(0), minimum: 0, below: 1,
                                                  help: "Label smoothing of cross-entropy.")

    // data
    static let train = RecipeKey<String>(path: "data.train", absent: .required, help: "Training set manifest (`lockstep shard` writes it).")
    static let test = RecipeKey<String>(path: "data.test", absent: .unset("no evaluation"), help: "Test set manifest, evaluated after every epoch.")
    static let scale = RecipeKey<Double>(path: "data.normalize.scale", absent: .derived("1/255 for uint8 samples, 1 for float32"),
                                         help: "Stored values are multiplied by this, then normalized by mean and std (token ids never are).")
    static let mean = RecipeKey<[Double]>(path: "data.normalize.mean", absent: .value([0]), help: "One value, or one per channel (per feature for sequences).")
    static let std = RecipeKey<[Double]>(path: "data.normalize.std", absent: .value([1]), above: 0, help: "One value, or one per channel (per feature for sequences).")
    static let verifyChecksums = RecipeKey<Bool>(path: "data.verify_checksums", absent: .value(true),
                                                 help: "Check every shard's SHA-256 against the manifest before training, each shard hashed by one rank.")
    static let checksumCache = RecipeKey<Bool>(path: "data.checksum_cache", absent: .value(true),
                                               help: "Skip shards recorded verified and unchanged (size, mtime, inode) in `RUN/verified-shards.json` or `MANIFEST.verified.json`; `false` (or `train --verify-data`) hashes all.")
    static let cache = RecipeKey<InputCache>(path: "data.cache", absent: .value(.auto),
                                             help: "Keep the training set's stored inputs in memory (`auto`: when each rank's copy together takes at most 1/8 of the node's memory), or read them from the shards batch by batch (`none`).")
    static let prefetch = RecipeKey<Int>(path: "data.prefetch", absent: .derived("0 for inputs kept in memory when the ranks' threads take every core, else 2"), minimum: 0,
                                         help: "Batches read ahead by a loader thread; 0 reads each batch in the training thread (no thread to share the rank's core with).")
    static let classes = RecipeKey<[Int]>(path: "data.classes", absent: .unset("all"), minimum: 0,
                                          help: "Use only these classes, relabelled 0… in this order (train and test).")
    static let limit = RecipeKey<Int>(path: "data.limit", absent: .unset("all"), minimum: 1,
                                      help: "Use at most this many training samples (a seeded draw).")
    static let preprocess = RecipeKey<Preprocess>(path: "data.preprocess", absent: .value(.none),
                                                  help: "Preset normalization of pretrained weights: Keras (`caffe`) or torchvision (`torch`).")
    static let channels = RecipeKey<Int>(path: "data.channels", absent: .unset("as stored"), minimum: 1, maximum: 1024,
                                         help: "Replicate single-channel images to this many channels.")
    static let resize = RecipeKey<[Int]>(path: "data.resize", absent: .unset("as stored"), minimum: 1, maximum: 16_384,
                                         help: "[height, width] to resize to (bilinear).")
    static let crop = RecipeKey<[Int]>(path: "data.crop", absent: .unset("none"), minimum: 1, maximum: 16_384, help: "[height, width] of a center crop.")
    static let cropPadding = RecipeKey<Int>(path: "data.augment.crop_padding", absent: .unset("off"), minimum: 0, maximum: 4096,
                                            help: "Training: pad with black, cut a random window of the image's size (CIFAR's 4).")
    static let resizedCropScale = RecipeKey<[Double]>(path: "data.augment.resized_crop_scale", absent: .unset("off"), above: 0, maximum: 1,
                                                      help: "Training: random resized crop, [min, max] area fraction (torchvision: [0.08, 1]).")
    static let resizedCropRatio = RecipeKey<[Double]>(path: "data.augment.resized_crop_ratio", absent: .value([0.75, 4.0 / 3.0]), above: 0,
                                                      help: "Its [min, max] aspect ratio (width/height).")
    static let flip = RecipeKey<Bool>(path: "data.augment.flip", absent: .value(false), help: "Training: mirror left-right with probability 1/2.")
    static let brightness = RecipeKey<Double>(path: "data.augment.brightness", absent: .value(0), minimum: 0, below: 1,
                                              help: "Training: pixel values × a factor in [1 − b, 1 + b].")
    static let contrast = RecipeKey<Double>(path: "data.augment.contrast", absent: .value(0), minimum: 0, below: 1,
                                            help: "Training: blend with the mean grey by a factor in [1 − c, 1 + c].")

    // training
    static let epochs = RecipeKey<Int>(path: "training.epochs", absent: .value(1), minimum: 1, help: "Passes over the training set.")
    static let batchPerRank = RecipeKey<Int>(path: "training.batch_per_rank", absent: .required, minimum: 1,
                                             help: "Samples per rank per step; the global batch is this × ranks.")
    static let evalBatchPerRank = RecipeKey<Int>(path: "training.eval_batch_per_rank", absent: .derived("max(batch_per_rank, 256)"),
                                                 minimum: 1, help: "Samples per rank per evaluation batch.")
    static let logEvery = RecipeKey<Int>(path: "training.log_every", absent: .value(100), minimum: 1, help: "Steps between progress lines.")
    static let progress = RecipeKey<ProgressStyle>(path: "training.progress", absent: .value(.auto),
                                                   help: "Rank 0's console: a live `bar` (`auto`: when its output is a terminal), `lines` every log_every steps, or `none`; `NO_COLOR` turns colour off.")
    static let tensorboard = RecipeKey<Bool>(path: "training.tensorboard", absent: .value(true),
                                             help: "Rank 0 writes TensorBoard event files (scalars) to `RUN/tensorboard`.")
    static let maxSteps = RecipeKey<Int>(path: "training.max_steps", absent: .unset("no limit"), minimum: 1,
                                         help: "Stop after this many steps in all.")
    static let bucketMB = RecipeKey<Double>(path: "training.bucket_mb", absent: .value(25), minimum: 0.001,
                                            help: "Gradient allreduce bucket size in MiB.")
    static let allreduceDType = RecipeKey<GradientReducer.Precision>(path: "training.allreduce_dtype", absent: .value(.float32),
                                                                   help: "What gradients travel as between ranks: `bfloat16` sends half the bytes, summed in bfloat16 (as Horovod's fp16 compression).")

    static let stallTimeout = RecipeKey<Double>(path: "training.stall_timeout", absent: .value(600), minimum: 0,
                                                help: "Seconds one phase (a collective, a batch read, a checkpoint write, an evaluation batch) may last before every rank ends with exit code 76, naming the ranks that hold the job up; 0: off.")

    static let consistencyCheckSteps = RecipeKey<Int>(path: "training.consistency_check_steps", absent: .unset("at checkpoints and epoch ends only"), minimum: 1,
                                                      help: "Also compare the replicas' fingerprints (parameters, buffers, optimizer state) every this many steps.")

    static let accumulateSteps = RecipeKey<Int>(path: "training.accumulate_steps", absent: .value(1), minimum: 1, maximum: 65_536,
                                                help: "Gradient accumulation: a step runs this many micro-batches of batch_per_rank, then one allreduce and update: the update of a batch this many times larger (global batch = batch_per_rank × this × ranks; BatchNorm normalizes each micro-batch).")
    static let evalEverySteps = RecipeKey<Int>(path: "training.eval_every_steps", absent: .unset("at epoch ends only"), minimum: 1,
                                               help: "Also evaluate the test set every this many steps (`RUN/evaluations.csv`; early stopping and `plateau` watch every evaluation).")
    static let earlyStopMonitor = RecipeKey<MetricWatch.Metric>(path: "training.early_stopping.monitor", absent: .value(.testLoss),
                                                                help: "Early stopping (on when the section is present): the metric watched at each evaluation (`train_*`: at epoch ends).")
    static let earlyStopPatience = RecipeKey<Int>(path: "training.early_stopping.patience", absent: .value(3), minimum: 1,
                                                  help: "Stop after this many evaluations in a row without improvement.")
    static let earlyStopMinDelta = RecipeKey<Double>(path: "training.early_stopping.min_delta", absent: .value(0), minimum: 0,
                                                     help: "An improvement is a change larger than this.")

    static let onNonFinite = RecipeKey<NonFinitePolicy>(path: "training.on_nonfinite", absent: .value(.stop),
                                                        help: "A step whose gradients hold NaN or Inf: `stop` the run naming the step, ranks and first non-finite layer (the last checkpoint stays latest), or `skip` it on every rank and count it.")

    // optimizer
    static let optimizer = RecipeKey<OptimizerKind>(path: "optimizer.name", absent: .value(.sgd), help: "PyTorch's definitions.")
    static let learningRate = RecipeKey<Double>(path: "optimizer.lr", absent: .derived("0.01 (sgd), 0.001 (adam, adamw)"), minimum: 0,
                                                help: "Base learning rate.")
    static let momentum = RecipeKey<Double>(path: "optimizer.momentum", absent: .value(0), minimum: 0, help: "SGD momentum.")
    static let dampening = RecipeKey<Double>(path: "optimizer.dampening", absent: .value(0), minimum: 0, help: "SGD momentum dampening.")
    static let nesterov = RecipeKey<Bool>(path: "optimizer.nesterov", absent: .value(false),
                                          help: "Nesterov momentum (needs momentum > 0, dampening 0).")
    static let weightDecay = RecipeKey<Double>(path: "optimizer.weight_decay", absent: .derived("0; 0.01 for adamw"), minimum: 0,
                                               help: "L2 weight decay (decoupled for adamw).")
    static let beta1 = RecipeKey<Double>(path: "optimizer.beta1", absent: .value(0.9), minimum: 0, below: 1, help: "Adam β₁.")
    static let beta2 = RecipeKey<Double>(path: "optimizer.beta2", absent: .value(0.999), minimum: 0, below: 1, help: "Adam β₂.")
    static let epsilon = RecipeKey<Double>(path: "optimizer.eps", absent: .value(1e-8), minimum: 0, help: "Adam ε.")
    static let clipGradNorm = RecipeKey<Double>(path: "optimizer.clip_grad_norm", absent: .unset("no clipping"), minimum: 0,
                                                help: "Clip the averaged gradients to this global L2 norm.")
    static let groupParams = RecipeKey<[String]>(path: "optimizer.param_groups[].params", absent: .value([]),
                                                 help: "Parameter name patterns of a learning-rate group.")
    static let groupScale = RecipeKey<Double>(path: "optimizer.param_groups[].lr_scale", absent: .required, minimum: 0,
                                              help: "The group's learning-rate multiplier (0 freezes it); the first matching group wins.")

    // schedule
    static let schedule = RecipeKey<LearningRateSchedule.Kind>(path: "schedule.name", absent: .value(.constant), isShorthand: true,
                                                               help: "Learning-rate schedule after warmup.")
    static let warmupSteps = RecipeKey<Int>(path: "schedule.warmup_steps", absent: .value(0), minimum: 0, help: "Linear warmup, in steps.")
    static let warmupEpochs = RecipeKey<Int>(path: "schedule.warmup_epochs", absent: .value(0), minimum: 0,
                                             help: "Linear warmup, in epochs (added to warmup_steps).")
    static let stepEpochs = RecipeKey<Int>(path: "schedule.step_epochs", absent: .value(30), minimum: 1,
                                           help: "`step`: epochs between decays.")
    static let gamma = RecipeKey<Double>(path: "schedule.gamma", absent: .value(0.1), minimum: 0, help: "`step`: decay factor.")
    static let minimumRate = RecipeKey<Double>(path: "schedule.min_lr", absent: .value(0), minimum: 0, help: "`cosine`: final rate; `plateau`: the lowest.")
    static let referenceBatch = RecipeKey<Int>(path: "schedule.reference_batch", absent: .unset("off"), minimum: 1,
                                               help: "Linear scaling rule: lr × global batch / reference_batch.")

    static let plateauFactor = RecipeKey<Double>(path: "schedule.factor", absent: .value(0.1), above: 0, below: 1,
                                                 help: "`plateau`: multiply the rate by this when the watched metric stalls (down to min_lr).")
    static let plateauPatience = RecipeKey<Int>(path: "schedule.patience", absent: .value(2), minimum: 1,
                                                help: "`plateau`: evaluations without improvement before the rate drops.")
    static let plateauMonitor = RecipeKey<MetricWatch.Metric>(path: "schedule.monitor", absent: .value(.testLoss),
                                                              help: "`plateau`: the metric watched (`train_*`: at epoch ends).")
    static let plateauMinDelta = RecipeKey<Double>(path: "schedule.min_delta", absent: .value(1e-4), minimum: 0,
                                                   help: "`plateau`: an improvement is a change larger than this.")

    // checkpoint
    static let checkpointDir = RecipeKey<String>(path: "checkpoint.dir", absent: .derived("`RUN/checkpoints`"), help: "Where checkpoints go.")
    static let everySteps = RecipeKey<Int>(path: "checkpoint.every_steps", absent: .value(0), minimum: 0,
                                           help: "Also checkpoint every this many steps (0: off).")
    static let everyEpoch = RecipeKey<Bool>(path: "checkpoint.every_epoch", absent: .value(true), help: "Checkpoint at the end of every epoch.")
    static let keepLast = RecipeKey<Int>(path: "checkpoint.keep_last", absent: .value(3), minimum: 1,
                                         help: "Newest checkpoints kept (the best is kept besides).")
    static let monitor = RecipeKey<CheckpointMonitor>(path: "checkpoint.monitor", absent: .derived("`test_accuracy`; `test_loss` for the autoencoder"),
                                                      help: "Metric that selects the `best` checkpoint.")
    static let mode = RecipeKey<CheckpointPolicy.Mode>(path: "checkpoint.mode", absent: .derived("`max`; `min` for losses"),
                                                       help: "Whether larger or smaller is better.")

    // fine-tuning
    static let pretrained = RecipeKey<String>(path: "pretrained.file", absent: .unset("none"), isShorthand: true,
                                              help: "Pretrained weights, read by rank 0 (`pretrained: FILE` is short for this).")
    static let format = RecipeKey<Pretrained.Format>(path: "pretrained.format", absent: .value(.auto), help: "How to read them.")
    static let pretrainedSHA256 = RecipeKey<String>(path: "pretrained.sha256", absent: .unset("not checked"),
                                                    help: "The file's sha256 (as `sha256sum` prints it), checked before the file is parsed.")
    static let headClasses = RecipeKey<Int>(path: "head.classes", absent: .unset("the file's head"), minimum: 1,
                                            help: "A new, freshly initialized head with this many classes.")
    static let freeze = RecipeKey<[String]>(path: "freeze", absent: .value([]), help: "Name patterns of parameters not trained (`features.*`).")
    static let unfreezeAfter = RecipeKey<Int>(path: "unfreeze_after_epochs", absent: .unset("never"), minimum: 0,
                                              help: "Train everything from this epoch on.")

    // regularization
    static let l1 = RecipeKey<Double>(path: "regularization[].l1", absent: .value(0), minimum: 0, help: "Penalty l1·Σ|w| (Keras's definition).")
    static let l2 = RecipeKey<Double>(path: "regularization[].l2", absent: .value(0), minimum: 0, help: "Penalty l2·Σw² (both: elastic net).")
    static let penalized = RecipeKey<[String]>(path: "regularization[].params", absent: .value(ParameterSelection.weights.patterns),
                                               help: "Name patterns; `<weights>`: all weights, no biases or norms.")

    /// Every key, in the order of the README's table.
    static let all: [any AnyRecipeKey] = [
        name, seed, output,
        model, hidden, activation, stem, widths, classifierWidth, dropout, layers, bidirectional,
        dimension, heads, feedForward, positional, pooling, normFirst, causal, vocabulary, code,
        loss, labelSmoothing,
        train, test, scale, mean, std, verifyChecksums, checksumCache, cache, prefetch, classes, limit, preprocess, channels, resize, crop,
        cropPadding, resizedCropScale, resizedCropRatio, flip, brightness, contrast,
        epochs, batchPerRank, evalBatchPerRank, logEvery, progress, tensorboard, maxSteps, bucketMB, allreduceDType, stallTimeout, consistencyCheckSteps,
        accumulateSteps, evalEverySteps, earlyStopMonitor, earlyStopPatience, earlyStopMinDelta, onNonFinite,
        optimizer, learningRate, momentum, dampening, nesterov, weightDecay, beta1, beta2, epsilon, clipGradNorm, groupParams, groupScale,
        schedule, warmupSteps, warmupEpochs, stepEpochs, gamma, minimumRate, referenceBatch,
        plateauFactor, plateauPatience, plateauMonitor, plateauMinDelta,
        checkpointDir, everySteps, everyEpoch, keepLast, monitor, mode,
        pretrained, format, pretrainedSHA256, headClasses, freeze, unfreezeAfter,
        l1, l2, penalized,
    ]
}
