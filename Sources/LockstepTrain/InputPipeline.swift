import LockstepData
import LockstepOperations
import LockstepOutputs

/// What happens to samples between the shards and the model: normalization, the image
/// transform (resizing, channels, preset normalizations), training-time augmentation, and how
/// many batches a loader thread reads ahead.
public struct InputPipeline: Sendable {
    /// The default, as a recipe's: bytes into [0, 1], float32 samples as stored.
    public var normalization: Normalization
    /// Channel replication, resizing, cropping and preset normalization after reading.
    public var transform: ImageTransform
    /// Random changes to training images (none by default).
    public var augmentation: Augmentation
    /// Batches read ahead by a loader thread (nil: as `prefetch(for:node:)` decides).
    public var prefetch: Int?

    public init(normalization: Normalization = Normalization(scale: nil), transform: ImageTransform = ImageTransform(),
                augmentation: Augmentation = Augmentation(), prefetch: Int? = nil) {
        self.normalization = normalization
        self.transform = transform
        self.augmentation = augmentation
        self.prefetch = prefetch
    }

    /// Batches the loader reads ahead of `set` on a thread of its own: `prefetch`, else 2, or
    /// none (each batch read in the training thread) for inputs kept in memory on a `node`
    /// whose cores the ranks' BLAS threads all take: there a copy from memory is cheaper than
    /// a thread that competes for a rank's core and wakes twice a step. Sets read from files
    /// (evaluation, prediction) always get the thread.
    public func prefetch(for set: ShardSet, node: CoreBudget? = nil) -> Int {
        prefetch ?? (set.keepsInputsInMemory && node.map { !$0.hasSpareCore } == true ? 0 : 2)
    }

    /// A loader of `plan` from `set` through this pipeline (augmentation only with `training`).
    public func loader(_ set: ShardSet, plan: [[Int]], training: Bool, epoch: Int = 0, seed: UInt64 = 0,
                       node: CoreBudget? = nil) -> BatchLoader {
        BatchLoader(source: set, plan: plan, normalization: normalization, transform: transform,
                    augmentation: training ? augmentation : Augmentation(), epoch: epoch, seed: seed,
                    prefetch: prefetch(for: set, node: node))
    }
}
