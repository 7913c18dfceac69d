import LockstepTensor

/// Decides which samples each rank reads at each training step.
///
/// Every epoch has one global permutation of all samples, drawn from (seed, epoch) — the same
/// on every rank without communication. Step s of the epoch uses the global batch
/// `perm[s·G ..< (s+1)·G]` (G = batchPerRank × worldSize); rank r takes the r-th slice of it,
/// sorted for sequential reads. So N ranks × B/N see exactly the samples 1 rank × B sees,
/// every rank runs the same number of steps, and the incomplete last batch is dropped.
public struct DistributedSampler: Sendable {
    public let numSamples: Int
    public let batchPerRank: Int
    public let rank: Int
    public let worldSize: Int
    public let seed: UInt64
    public let shuffle: Bool

    public init(numSamples: Int, batchPerRank: Int, rank: Int, worldSize: Int, seed: UInt64, shuffle: Bool = true) throws {
        guard batchPerRank > 0 else { throw DataError("batch_per_rank must be positive, got \(batchPerRank)") }
        guard batchPerRank * worldSize <= numSamples else {
            throw DataError("global batch \(batchPerRank * worldSize) (batch_per_rank \(batchPerRank) × \(worldSize) ranks) exceeds the \(numSamples) training samples: each rank has only \(numSamples / worldSize); lower batch_per_rank or use fewer ranks")
        }
        self.numSamples = numSamples
        self.batchPerRank = batchPerRank
        self.rank = rank
        self.worldSize = worldSize
        self.seed = seed
        self.shuffle = shuffle
    }

    /// Samples per step over all ranks.
    public var globalBatch: Int { batchPerRank * worldSize }

    /// Steps in one epoch (incomplete last global batch dropped).
    public var stepsPerEpoch: Int { numSamples / globalBatch }

    /// The epoch's global order of sample indices.
    public func permutation(epoch: Int) -> [Int] {
        var order = Array(0..<numSamples)
        guard shuffle else { return order }
        var rng = CounterRNG(seed: seed, streams: 0x5A3F_1E, UInt64(epoch))
        for i in stride(from: numSamples - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }

    /// This rank's sorted sample indices for every step of `epoch`, from `firstStep` on.
    public func batches(epoch: Int, from firstStep: Int = 0) -> [[Int]] {
        let perm = permutation(epoch: epoch)
        return (firstStep..<stepsPerEpoch).map { step in
            let lo = step * globalBatch + rank * batchPerRank
            return perm[lo..<(lo + batchPerRank)].sorted()
        }
    }
}

/// Splits a dataset for evaluation: every sample exactly once over all ranks, no padding.
/// Rank r takes the contiguous block [r·N/W, (r+1)·N/W), in batches of at most `batchPerRank`;
/// ranks may have different batch counts, so evaluation makes no per-batch collectives.
public struct EvaluationSampler: Sendable {
    public let numSamples: Int
    public let batchPerRank: Int
    public let rank: Int
    public let worldSize: Int

    public init(numSamples: Int, batchPerRank: Int, rank: Int, worldSize: Int) {
        self.numSamples = numSamples
        self.batchPerRank = max(batchPerRank, 1)
        self.rank = rank
        self.worldSize = worldSize
    }

    /// This rank's samples.
    public var range: Range<Int> { (rank * numSamples / worldSize)..<((rank + 1) * numSamples / worldSize) }

    /// This rank's batches.
    public var batches: [[Int]] {
        stride(from: range.lowerBound, to: range.upperBound, by: batchPerRank).map {
            Array($0..<min($0 + batchPerRank, range.upperBound))
        }
    }
}
