import LockstepTensor

/// Averages the gradient arena over all ranks, overlapping communication with backward.
///
/// The arena is cut at parameter boundaries into buckets of about `bucketBytes`, taken in
/// reverse layout order (the order backward produces gradients). When every parameter of a
/// bucket has reported its gradient, that bucket's non-blocking allreduce starts; pending
/// reductions are progressed whenever another layer finishes. `finish` waits for all and
/// divides by the world size. The bucket layout is fixed for the run, so the reduction order
/// — and the result — is the same every step.
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

    /// Default bucket size, as PyTorch DDP's.
    public static let defaultBucketBytes = 25 << 20

    public init(arena: ParameterArena, communicator: any Communicator, bucketBytes: Int = GradientReducer.defaultBucketBytes) {
        self.arena = arena
        self.communicator = communicator
        let limit = max(bucketBytes / MemoryLayout<Float>.stride, 1)
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
            if upper - lower >= limit { close() }
        }
        close()
        self.buckets = buckets
        self.bucketOfParameter = map
        self.remaining = buckets.map(\.parameterCount)
        self.pending = Array(repeating: nil, count: buckets.count)
    }

    /// Called by backward with parameters whose gradients are final.
    public func gradientsReady(_ parameters: [Parameter]) throws {
        guard communicator.size > 1 else { return }
        for p in parameters {
            guard let b = bucketOfParameter[ObjectIdentifier(p)] else { continue }
            remaining[b] -= 1
            if remaining[b] == 0 { try start(b) }
        }
        for case let r? in pending { _ = try r.test() }
    }

    /// Completes every bucket's reduction and divides by the world size. Buckets whose
    /// parameters did not all report (e.g. unused layers) are reduced here.
    public func finish() throws {
        defer {
            remaining = buckets.map(\.parameterCount)
            pending = Array(repeating: nil, count: buckets.count)
        }
        guard communicator.size > 1 else { return }
        for b in buckets.indices where pending[b] == nil { try start(b) }
        for case let r? in pending { try r.wait() }
        for b in buckets { VectorOps.scale(arena.gradients + b.range.lowerBound, count: b.range.count, by: 1 / Float(communicator.size)) }
    }

    private func start(_ b: Int) throws {
        let range = buckets[b].range
        pending[b] = try communicator.startAllreduceSum(
            UnsafeMutableBufferPointer(start: arena.gradients + range.lowerBound, count: range.count))
    }
}
