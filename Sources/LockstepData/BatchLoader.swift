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

/// Reads a planned sequence of batches on a background thread, `prefetch` batches ahead.
///
/// The thread only does HDF5 reads and conversion (never MPI). A read error is raised by the
/// `next()` call that would have returned that batch. Dropping the loader (or `stop()`) ends
/// the thread after its current read.
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

    /// Starts reading `plan` (a list of ascending index lists) from `source`.
    /// `transform` (resizing, channel changes, preset normalizations) and `augmentation` (drawn
    /// per sample from `seed`, `epoch` and its index) run on the reader thread too.
    public init(source: ShardSet, plan: [[Int]], normalization: Normalization, transform: ImageTransform = ImageTransform(),
                augmentation: Augmentation = Augmentation(), epoch: Int = 0, seed: UInt64 = 0, prefetch: Int = 2) {
        self.plan = plan
        let queue = self.queue
        let depth = max(prefetch, 1)
        let t = Thread {
            for (i, indices) in plan.enumerated() {
                queue.condition.lock()
                while !queue.stopped && i - queue.consumed >= depth { queue.condition.wait() }
                let stop = queue.stopped
                queue.condition.unlock()
                if stop { return }
                let result = Result { () throws -> Batch in
                    let t = Tensor(shape: [indices.count] + source.sampleShape)
                    let labels = try source.read(indices, into: t.data, normalization: normalization)
                    let inputs = transform.isIdentity ? t : try transform.apply(t)
                    if !augmentation.isIdentity {
                        let pixels = try PixelAffine(normalization: normalization, transform: transform, storedChannels: source.storedChannels,
                                                     bytes: source.manifest.dtype == "uint8")
                        augmentation.apply(inputs, indices: indices, epoch: epoch, seed: seed, pixels: pixels)
                    }
                    return Batch(inputs: inputs, labels: labels, indices: indices, lengths: try source.lengths(indices))
                }
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
