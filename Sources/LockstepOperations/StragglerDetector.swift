/// Names a rank that is persistently slower than the others in its own work. Data-parallel
/// training waits for the slowest rank at every allreduce and never says which one it was; every
/// log interval each rank's phase times are gathered (one allgather of a few numbers), and a rank
/// whose own work per step (data wait, forward, backward, optimizer: not the waits for the
/// others, allreduce and sync, where a slow rank waits least) exceeds the median rank's by more
/// than `relative` and `absoluteMilliseconds`, in `intervals` log windows in a row, is named
/// with the phase where it loses most.
///
/// The thresholds: 25 % and 1 ms per step over 3 windows. On a healthy run the ranks of one
/// host differ by a few percent in their own work (they run the same code on the same batch
/// sizes); a rank sharing its core with another process, or on a throttled node, loses tens of
/// percent in every window. One window can be off by a checkpoint write or a page-cache miss,
/// which three in a row rule out.
public struct StragglerDetector: Sendable {
    /// A rank slower than the median one.
    public struct Finding: Codable, Sendable, Equatable {
        public var rank: Int
        public var host: String
        /// The phase with the largest excess over the median rank's.
        public var phase: String
        /// Milliseconds per step of own work beyond the median rank's, and in `phase` alone.
        public var excessMilliseconds: Double
        public var phaseExcessMilliseconds: Double
        /// Own work per step over the median rank's.
        public var ratio: Double
        /// The step of the window that made it persistent, and how many windows in a row it was slow.
        public var step: Int
        public var windows: Int

        /// The sentence rank 0 logs.
        public var line: String {
            let percent = Int(((ratio - 1) * 100).rounded())
            return "straggler: rank \(rank) on \(host) is \(percent) % slower than the median rank in its own work"
                + String(format: " (+%.1f ms per step, %.1f of them in %@) over the last %d log intervals", excessMilliseconds,
                         phaseExcessMilliseconds, phase, windows)
                + "; every rank waits for it at each allreduce"
        }
    }

    /// The phases of `PhaseTimes.secondsPerStep` that are a rank's own work.
    public static let ownPhases = ["data_wait", "forward", "backward", "optimizer"]

    public var relative = 0.25
    public var absoluteMilliseconds = 1.0
    public var intervals = 3
    /// Consecutive slow windows per rank.
    private var streaks: [Int: Int] = [:]
    /// The straggler named last, while it stays slow.
    public private(set) var current: Finding?

    public init() {}

    /// Feeds one log window: `perRank[r]` is rank r's milliseconds per step in each of `ownPhases`.
    /// Returns a finding when a rank becomes a persistent straggler (once; again if another
    /// rank or phase takes its place), nil otherwise.
    public mutating func observe(_ perRank: [[Double]], hosts: [String], step: Int) -> Finding? {
        guard perRank.count > 1 else { return nil }
        let totals = perRank.map { $0.reduce(0, +) }
        let median = Self.median(totals)
        for (r, t) in totals.enumerated() {
            let slow = t > (1 + relative) * median && t - median >= absoluteMilliseconds
            streaks[r] = slow ? (streaks[r] ?? 0) + 1 : 0
        }
        let (slowest, excessMilliseconds, ratio) = Self.slowest(perRank)
        guard (streaks[slowest] ?? 0) >= intervals else {
            if let c = current, (streaks[c.rank] ?? 0) == 0 { current = nil }
            return nil
        }
        let phaseMedians = Self.ownPhases.indices.map { p in Self.median(perRank.map { $0[p] }) }
        let excess = Self.ownPhases.indices.map { perRank[slowest][$0] - phaseMedians[$0] }
        let worst = excess.indices.max(by: { excess[$0] < excess[$1] })!
        let finding = Finding(rank: slowest, host: slowest < hosts.count ? hosts[slowest] : "?", phase: Self.ownPhases[worst],
                              excessMilliseconds: excessMilliseconds, phaseExcessMilliseconds: excess[worst],
                              ratio: ratio, step: step, windows: streaks[slowest] ?? intervals)
        defer { current = finding }
        return current?.rank == finding.rank && current?.phase == finding.phase ? nil : finding
    }

    /// The rank with the most own work per step, its excess over the median rank (ms per step)
    /// and their ratio: what TensorBoard plots every log interval.
    public static func slowest(_ perRank: [[Double]]) -> (rank: Int, excessMilliseconds: Double, ratio: Double) {
        let totals = perRank.map { $0.reduce(0, +) }, median = Self.median(totals)
        let r = totals.indices.max(by: { totals[$0] < totals[$1] }) ?? 0
        return (r, totals[r] - median, totals[r] / max(median, 1e-9))
    }

    /// The median (the mean of the middle two for an even count).
    static func median(_ values: [Double]) -> Double {
        let s = values.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
