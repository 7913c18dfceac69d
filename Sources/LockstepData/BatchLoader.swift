import Foundation
import LockstepTensor

/// A batch ready for the model: inputs [n] + sampleShape (normalized, NCHW) and labels.
public struct Batch: Sendable {
    public let inputs: Tensor
    public let labels: [Int32]
    /// The global sample indices, in row order.
    public let indices: [Int]
    /// Each padded sequence's real steps (nil: no padding).
    public var lengths: [Int]? = nil

    /// Steps of padding at the end of each row, for `ForwardContext.padding`.
    public var padding: [Int]? { lengths.map { $0.map { inputs.shape[1] - $0 } } }
}

/// Makes one batch: reads samples from the shards, then transforms and augments them.
public struct BatchReader: Sendable {
    public let source: ShardSet
    public let normalization: Normalization
    public let transform: ImageTransform
    public let augmentation: Augmentation
    public let epoch: Int
    public let seed: UInt64
    private let memory = BatchMemory()

    public init(source: ShardSet, normalization: Normalization, transform: ImageTransform, augmentation: Augmentation,
                epoch: Int, seed: UInt64) {
        self.source = source
        self.normalization = normalization
        self.transform = transform
        self.augmentation = augmentation
        self.epoch = epoch
        self.seed = seed
    }

    /// The batch of samples `indices` (ascending). `augmentation` is drawn per sample from
    /// `seed`, `epoch` and its index. Call from one thread at a time.
    public func batch(_ indices: [Int]) throws -> Batch {
        let t = memory.tensor(shape: [indices.count] + source.sampleShape)
        let labels = try source.read(indices, into: t.data, normalization: normalization)
        let inputs = transform.isIdentity ? t : try transform.apply(t)
        if !augmentation.isIdentity {
            let pixels = try PixelAffine(normalization: normalization, transform: transform, storedChannels: source.storedChannels,
                                         bytes: source.manifest.dtype == "uint8")
            augmentation.apply(inputs, indices: indices, epoch: epoch, seed: seed, pixels: pixels)
        }
        return Batch(inputs: inputs, labels: labels, indices: indices, lengths: try source.lengths(indices))
    }
}

/// The memory of earlier batches, reused once nothing holds it any more: a new batch would
/// otherwise cost an allocation, its zeroing and its page faults each step.
final class BatchMemory: @unchecked Sendable {  // used by one thread at a time (the loader's, or the training thread)
    private var pool: [TensorStorage] = []

    /// A tensor of `shape` in memory no earlier batch still holds; its contents are stale.
    func tensor(shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        for i in pool.indices where pool[i].capacity == n && isKnownUniquelyReferenced(&pool[i]) {
            return Tensor(viewing: pool[i].base, shape: shape, owner: pool[i])
        }
        let storage = TensorStorage(capacity: n)
        if pool.count >= 8 { pool.removeFirst() }  // batches kept longer (or of other sizes) are left to their holders
        pool.append(storage)
        return Tensor(viewing: storage.base, shape: shape, owner: storage)
    }
}

/// Reads a planned sequence of batches on a background thread, `prefetch` batches ahead, or
/// (`prefetch` 0) in `next()` itself.
///
/// The thread only does HDF5 reads and conversion (never MPI). A read error is raised by the
/// `next()` call that would have returned that batch. Dropping the loader (or `stop()`) ends
/// the thread after its current read.
///
/// Reading in `next()` suits inputs kept in memory on a node whose cores all run ranks: there
/// is no file to wait for, and a thread of its own would only take the batch's work from a
/// rank's core, plus two context switches per batch.
public final class BatchLoader {
    /// What the reader thread and the consumer share; the thread holds it strongly.
    /// Sendable: every field is read and written only with `condition` locked.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var ready: [Int: Result<Batch, Error>] = [:]
        var consumed = 0
        var stopped = false
    }

    private let queue = Queue()
    private let plan: [[Int]]
    /// Set when batches are read in `next()`.
    private let inline: BatchReader?

    /// Starts reading `plan` (a list of ascending index lists) from `source`.
    /// `transform` (resizing, channel changes, preset normalizations) and `augmentation` (drawn
    /// per sample from `seed`, `epoch` and its index) run on the reader thread too.
    public init(source: ShardSet, plan: [[Int]], normalization: Normalization, transform: ImageTransform = ImageTransform(),
                augmentation: Augmentation = Augmentation(), epoch: Int = 0, seed: UInt64 = 0, prefetch: Int = 2) {
        self.plan = plan
        let reader = BatchReader(source: source, normalization: normalization, transform: transform, augmentation: augmentation,
                                 epoch: epoch, seed: seed)
        guard prefetch > 0 else { inline = reader; return }
        inline = nil
        let queue = self.queue
        let t = Thread {
            for (i, indices) in plan.enumerated() {
                queue.condition.lock()
                while !queue.stopped && i - queue.consumed >= prefetch { queue.condition.wait() }
                let stop = queue.stopped
                queue.condition.unlock()
                if stop { return }
                let result = Result { try reader.batch(indices) }
                queue.condition.lock()
                queue.ready[i] = result
                queue.condition.broadcast()
                queue.condition.unlock()
                if case .failure = result { return }
            }
        }
        t.name = "lockstep-prefetch"
        t.start()
    }

    deinit { stop() }

    /// Number of batches in the plan.
    public var count: Int { plan.count }

    /// The next batch, or nil when the plan is exhausted. Blocks while the reader is behind.
    public func next() throws -> Batch? {
        if let inline {
            guard queue.consumed < plan.count else { return nil }
            queue.consumed += 1
            return try inline.batch(plan[queue.consumed - 1])
        }
        queue.condition.lock()
        defer { queue.condition.unlock() }
        guard queue.consumed < plan.count else { return nil }
        while queue.ready[queue.consumed] == nil { queue.condition.wait() }
        let result = queue.ready.removeValue(forKey: queue.consumed)!
        queue.consumed += 1
        queue.condition.broadcast()
        return try result.get()
    }

    /// Tells the reader thread to end after its current read.
    public func stop() {
        queue.condition.lock()
        queue.stopped = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }
}
