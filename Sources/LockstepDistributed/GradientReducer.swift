import LockstepTensor
import LockstepTimeline

/// Sums (and optionally averages) the gradient arena over all ranks, overlapping
/// communication with backward.
///
/// The arena is cut at parameter boundaries into buckets of about `bucketBytes` (the first one
/// smaller), taken in reverse layout order (the order backward produces gradients). When every parameter of a
/// bucket has reported its gradient, that bucket's non-blocking allreduce starts; pending
/// reductions are progressed whenever another layer finishes. `finish` waits for all and, if
/// asked, divides by the world size (otherwise the optimizer folds 1/size into its update). The bucket layout is fixed for the run, so the reduction order
/// — and the result — is the same every step.
///
/// See Note [bucket order] in docs/architecture.md.
public final class GradientReducer {
    /// A contiguous range of the gradient arena reduced as one message.
    public struct Bucket: Sendable {
        /// Float offsets in the arena.
        public let range: Range<Int>
        /// How many parameters it covers.
        public let parameterCount: Int
    }

    public let communicator: any Communicator
    public let arena: ParameterArena
    /// The buckets, in the order their reductions start.
    public let buckets: [Bucket]
    private let bucketOfParameter: [ObjectIdentifier: Int]
    private var remaining: [Int]
    private var pending: [PendingReduction?]
    /// When each bucket's reduction started and when it was first seen complete (ns).
    private var startedAt: [UInt64]
    private var completedAt: [UInt64]
    private let labels: [String]

    /// What gradients travel as between ranks.
    public enum Precision: String, Sendable, CaseIterable {
        /// As computed: the sum is exact up to Float32 rounding.
        case float32
        /// Rounded to bfloat16 before sending (half the bytes) and summed in bfloat16, as
        /// Horovod's fp16 compression does; the reduced values come back as Float32. Without
        /// error feedback: nothing is carried from step to step, so a run resumes bitwise.
        case bfloat16
    }

    public let precision: Precision
    /// The bucket sizes the plan was made with.
    public let bucketBytes: Int, firstBucketBytes: Int
    /// bfloat16 gradients (arena offsets), when they travel so.
    private let compressed: UnsafeMutablePointer<UInt16>?

    /// Start each bucket as soon as its gradients are ready (true, the default) or only in
    /// `finish` (false: no overlap with backward; benchmarks compare the two).
    public var overlap = true

    /// Nanoseconds during which at least one bucket was in flight in the last step (from
    /// start to the test or wait that first saw it complete, so an upper bound).
    public private(set) var lastInFlightNanos: UInt64 = 0

    /// Default bucket size, as PyTorch DDP's.
    public static let defaultBucketBytes = 25 << 20
    /// Default size of the first bucket (the last layers' gradients, which backward produces
    /// first), as DDP's: small, so that the first reduction starts early in backward.
    public static let defaultFirstBucketBytes = 1 << 20

    /// Buckets close at parameter boundaries once they hold `bucketBytes` (the first one once it
    /// holds `firstBucketBytes`, if that is smaller).
    public init(arena: ParameterArena, communicator: any Communicator, bucketBytes: Int = GradientReducer.defaultBucketBytes,
                firstBucketBytes: Int = GradientReducer.defaultFirstBucketBytes, precision: Precision = .float32) {
        self.arena = arena
        self.communicator = communicator
        self.precision = precision
        self.bucketBytes = bucketBytes
        self.firstBucketBytes = firstBucketBytes
        compressed = precision == .bfloat16 && communicator.size > 1 ? .allocate(capacity: max(arena.count, 1)) : nil
        let limit = max(bucketBytes / MemoryLayout<Float>.stride, 1)
        let firstLimit = min(max(firstBucketBytes / MemoryLayout<Float>.stride, 1), limit)
        var buckets: [Bucket] = []
        var map: [ObjectIdentifier: Int] = [:]
        // Walk trainable parameters last to first; a bucket closes at the size limit or where a
        // frozen parameter interrupts the run (frozen gradients are never sent).
        var upper = -1, lower = 0, members = 0
        func close() {
            if members > 0 { buckets.append(Bucket(range: lower..<upper, parameterCount: members)) }
            members = 0
        }
        for p in arena.parameters.reversed() where !p.isFrozen {
            let end = p.offset + ParameterArena.paddedSize(p.count)
            if members > 0 && end != lower { close() }
            if members == 0 { upper = end }
            lower = p.offset
            map[ObjectIdentifier(p)] = buckets.count
            members += 1
            if upper - lower >= (buckets.isEmpty ? firstLimit : limit) { close() }
        }
        close()
        self.buckets = buckets
        self.bucketOfParameter = map
        self.remaining = buckets.map(\.parameterCount)
        self.pending = Array(repeating: nil, count: buckets.count)
        self.startedAt = Array(repeating: 0, count: buckets.count)
        self.completedAt = Array(repeating: 0, count: buckets.count)
        self.labels = buckets.enumerated().map { "bucket \($0.offset) (\($0.element.range.count * 4 / 1024) KB)" }
    }

    deinit { compressed?.deallocate() }

    /// A reducer with this one's settings, planned anew for the arena's parameters as they are
    /// now (after freezing or unfreezing some: frozen gradients are never sent).
    public func replanned() -> GradientReducer {
        let next = GradientReducer(arena: arena, communicator: communicator, bucketBytes: bucketBytes,
                                   firstBucketBytes: firstBucketBytes, precision: precision)
        next.overlap = overlap
        return next
    }

    /// Called by backward with parameters whose gradients are final.
    public func gradientsReady(_ parameters: [Parameter]) throws {
        guard communicator.size > 1 else { return }
        for p in parameters {
            guard let b = bucketOfParameter[ObjectIdentifier(p)] else { continue }
            remaining[b] -= 1
            // The last bucket completes when backward does: nothing is left to overlap it with,
            // so `finish` reduces it with a (faster) blocking call.
            if remaining[b] == 0 && overlap && b < buckets.count - 1 { try start(b) }
        }
        try progress()
    }

    /// Tests every reduction in flight once, noting those that completed.
    private func progress() throws {
        for b in pending.indices where completedAt[b] == 0 {
            guard let r = pending[b] else { continue }
            if try r.test() { completedAt[b] = Timeline.now() }
        }
    }

    /// Completes every bucket's reduction. Buckets not started during backward (all of them
    /// without overlap, or those whose parameters did not all report, e.g. unused layers) are
    /// reduced here with blocking allreduces, which Open MPI runs with its tuned algorithms
    /// (the non-blocking ones are slower when nothing is left to overlap).
    ///
    /// With `averaging`, divides the sums by the world size; without, the caller must apply
    /// the factor `1 / size` itself (the optimizer folds it into its update, saving a pass
    /// over the gradients).
    public func finish(averaging: Bool = true) throws {
        defer {
            for b in buckets.indices {
                remaining[b] = buckets[b].parameterCount
                pending[b] = nil
                startedAt[b] = 0
                completedAt[b] = 0
            }
        }
        guard communicator.size > 1 else { lastInFlightNanos = 0; return }
        // One clock read per reduction: a blocking one starts when the previous one ended.
        var clock = Timeline.now()
        for b in buckets.indices {
            if let r = pending[b] {
                if completedAt[b] == 0 { try r.wait(); clock = Timeline.now(); completedAt[b] = clock }
            } else {
                startedAt[b] = clock
                try reduceBlocking(buckets[b].range)
                clock = Timeline.now()
                completedAt[b] = clock
            }
        }
        if let compressed {
            for b in buckets { BFloat16.decompress(compressed + b.range.lowerBound, into: arena.gradients + b.range.lowerBound, count: b.range.count) }
        }
        if averaging {
            for b in buckets { VectorOps.scale(arena.gradients + b.range.lowerBound, count: b.range.count, by: 1 / Float(communicator.size)) }
        }
        lastInFlightNanos = buckets.count == 1 ? completedAt[0] - startedAt[0] : inFlightUnion()
        if let timeline = Timeline.active {
            for b in buckets.indices { timeline.record(labels[b], .allreduce, from: startedAt[b], to: completedAt[b]) }
        }
    }

    private func start(_ b: Int) throws {
        let range = buckets[b].range
        startedAt[b] = Timeline.now()
        if let bits = compressedBits(range) {
            pending[b] = try communicator.startAllreduceSumBFloat16(bits)
        } else {
            pending[b] = try communicator.startAllreduceSum(gradients(range))
        }
    }

    private func reduceBlocking(_ range: Range<Int>) throws {
        if let bits = compressedBits(range) {
            try communicator.allreduceSumBFloat16(bits)
        } else {
            try communicator.allreduceSum(gradients(range))
        }
    }

    /// The gradients of `range`, as Float32.
    private func gradients(_ range: Range<Int>) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: arena.gradients + range.lowerBound, count: range.count)
    }

    /// The gradients of `range` rounded to bfloat16, ready to send (nil: they travel as Float32).
    private func compressedBits(_ range: Range<Int>) -> UnsafeMutableBufferPointer<UInt16>? {
        guard let compressed else { return nil }
        BFloat16.compress(arena.gradients + range.lowerBound, into: compressed + range.lowerBound, count: range.count)
        return UnsafeMutableBufferPointer(start: compressed + range.lowerBound, count: range.count)
    }

    /// Length of the union of the buckets' [start, completion] intervals.
    private func inFlightUnion() -> UInt64 {
        var total: UInt64 = 0, end: UInt64 = 0
        for b in buckets.indices.sorted(by: { startedAt[$0] < startedAt[$1] }) {
            let s = max(startedAt[b], end), e = completedAt[b]
            if e > s { total += e - s; end = e }
        }
        return total
    }
}
