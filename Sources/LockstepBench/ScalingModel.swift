import Foundation

/// Projects a data-parallel step's time on p ranks from the compute time on one rank and
/// the network's latency α (seconds per message step) and inverse bandwidth β (seconds per
/// byte), with the ring allreduce's cost per bucket of n bytes:
///
///     T(n, p) = 2(p−1)·α + 2(p−1)/p · n · β
///
/// (reduce-scatter then allgather, each p−1 steps of n/p bytes per rank: bandwidth-optimal,
/// Patarasuk & Yuan 2009). Gradients go in buckets of `bucketBytes`, one allreduce each.
/// Without overlap the step is compute + Σ T(bucket). With overlap (buckets start during
/// backward, as Lockstep and DDP do) communication hides behind backward compute, except
/// the last bucket's, which starts when backward ends: exposed = max(T(last), ΣT − backward).
/// Every step also agrees on pending signals with one 8-byte allreduce (recursive doubling:
/// ⌈log₂ p⌉·α).
public struct ScalingModel: Sendable {
    public var alpha: Double
    public var beta: Double
    /// Gradient bytes per step (4 × parameters).
    public var gradientBytes: Double
    public var bucketBytes: Double
    /// Forward + backward + optimizer on one rank, seconds.
    public var computeSeconds: Double
    /// The part of `computeSeconds` spent in backward.
    public var backwardFraction: Double

    public init(alpha: Double, beta: Double, gradientBytes: Double, bucketBytes: Double, computeSeconds: Double, backwardFraction: Double) {
        self.alpha = alpha
        self.beta = beta
        self.gradientBytes = gradientBytes
        self.bucketBytes = bucketBytes
        self.computeSeconds = computeSeconds
        self.backwardFraction = backwardFraction
    }

    /// The ring allreduce of `bytes` on `p` ranks.
    public func allreduce(bytes: Double, ranks p: Int) -> Double {
        guard p > 1 else { return 0 }
        let q = Double(p)
        return 2 * (q - 1) * alpha + 2 * (q - 1) / q * bytes * beta
    }

    /// Bucket sizes: full buckets, then the remainder.
    var buckets: [Double] {
        let full = Int(gradientBytes / bucketBytes)
        let rest = gradientBytes - Double(full) * bucketBytes
        return [Double](repeating: bucketBytes, count: full) + (rest > 0 ? [rest] : [])
    }

    public var bucketCount: Int { buckets.count }

    /// Communication time of one step on `p` ranks, all buckets.
    public func communication(ranks p: Int) -> Double { buckets.reduce(0) { $0 + allreduce(bytes: $1, ranks: p) } }

    /// Step time on `p` ranks, with or without overlap of communication and backward.
    public func stepSeconds(ranks p: Int, overlap: Bool) -> Double {
        let total = communication(ranks: p)
        let agreement = p > 1 ? Double(Int.bitWidth - (p - 1).leadingZeroBitCount) * alpha : 0
        guard overlap else { return computeSeconds + total + agreement }
        let last = allreduce(bytes: buckets.last ?? 0, ranks: p)
        return computeSeconds + max(last, total - backwardFraction * computeSeconds) + agreement
    }

    /// Weak-scaling efficiency: one rank's step time over p ranks' (each rank keeps its batch).
    public func efficiency(ranks p: Int, overlap: Bool) -> Double { computeSeconds / stepSeconds(ranks: p, overlap: overlap) }

    /// α and β fitted to allreduce times measured on one or more rank counts: least squares
    /// on relative error (sizes span decades) of t = 2(p−1)·α + 2(p−1)/p·n·β.
    public static func fit(_ samples: [(ranks: Int, bytes: Double, seconds: Double)]) throws -> (alpha: Double, beta: Double) {
        let usable = samples.filter { $0.ranks > 1 && $0.seconds > 0 }
        guard !usable.isEmpty else { throw ScalingError("fitting α and β needs allreduce times measured on 2 or more ranks") }
        guard Set(usable.map(\.bytes)).count >= 2 else { throw ScalingError("fitting α and β needs at least 2 message sizes") }
        // Weighted least squares, weights 1/t²: minimizes Σ((x·α + y·β − t)/t)², x = 2(p−1), y = 2(p−1)n/p.
        var sxx = 0.0, sxy = 0.0, syy = 0.0, sxt = 0.0, syt = 0.0
        for (p, n, t) in usable {
            let q = Double(p), x = 2 * (q - 1), y = 2 * (q - 1) / q * n, w = 1 / (t * t)
            sxx += w * x * x; sxy += w * x * y; syy += w * y * y; sxt += w * x * t; syt += w * y * t
        }
        let det = sxx * syy - sxy * sxy
        guard det > 0 else { throw ScalingError("the allreduce times do not determine α and β") }
        let alpha = (syy * sxt - sxy * syt) / det, beta = (sxx * syt - sxy * sxt) / det
        // A latency below zero is noise: fit the bandwidth alone.
        return alpha < 0 ? (0, syt / syy) : (alpha, beta)
    }
}

public struct ScalingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
