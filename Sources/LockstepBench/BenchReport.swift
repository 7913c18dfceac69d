import Foundation
import LockstepDistributed
import LockstepTimeline

/// One benchmark run's result, printed as one JSON object per run with `--json` (keys as the
/// PyTorch reference's, plus Lockstep's time split).
public struct BenchReport: Sendable {
    public var workload: String
    public var ranks: Int
    public var threads: Int
    public var batch: Int
    /// Median over the timed repeats (samples in total over all ranks).
    public var samplesPerSec: Double
    public var samplesPerSecAll: [Double]
    /// Largest peak resident set size of any rank's process.
    public var peakRSSBytes: Int
    /// Seconds per step by phase (rank 0, timed repeats).
    public var timeSplit: [(String, Double)] = []
    /// Extra figures (allreduce overlap, W5 and W6 measurements), in order.
    public var extra: [(String, Double)] = []
    /// Extra text fields.
    public var notes: [(String, String)] = []
    /// The first text line, for workloads that measure no throughput (W7).
    public var headline: String?

    public init(workload: String, ranks: Int, threads: Int, batch: Int, samplesPerSecAll: [Double], peakRSSBytes: Int) {
        self.workload = workload
        self.ranks = ranks
        self.threads = threads
        self.batch = batch
        self.samplesPerSecAll = samplesPerSecAll
        self.samplesPerSec = BenchReport.median(samplesPerSecAll)
        self.peakRSSBytes = peakRSSBytes
    }

    public static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// One line of JSON.
    public var json: String {
        func num(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "null" }
        var fields = [
            "\"workload\":\"\(workload)\"", "\"framework\":\"lockstep\"", "\"ranks\":\(ranks)", "\"threads\":\(threads)",
            "\"batch\":\(batch)", "\"samples_per_sec\":\(num(samplesPerSec))",
            "\"samples_per_sec_all\":[\(samplesPerSecAll.map(num).joined(separator: ","))]",
            "\"peak_rss_bytes\":\(peakRSSBytes)",
        ]
        if !timeSplit.isEmpty {
            fields.append("\"time_split_s_per_step\":{" + timeSplit.map { "\"\($0.0)\":\(num($0.1))" }.joined(separator: ",") + "}")
        }
        fields += extra.map { "\"\($0.0)\":\(num($0.1))" }
        fields += notes.map { "\"\($0.0)\":\"\($0.1)\"" }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A few human-readable lines.
    public var text: String {
        let runs = samplesPerSecAll.map { String(format: "%.1f", $0) }.joined(separator: ", ")
        var lines = [headline.map { "\(workload): \(ranks) rank(s): " + $0 + String(format: ", peak RSS %.0f MB", Double(peakRSSBytes) / 1e6) }
                     ?? "\(workload): \(ranks) rank(s) × \(threads) thread(s), batch \(batch)/rank: "
                     + String(format: "%.1f samples/s", samplesPerSec) + " (median of \(samplesPerSecAll.count): \(runs)), "
                     + String(format: "peak RSS %.0f MB", Double(peakRSSBytes) / 1e6)]
        if !timeSplit.isEmpty {
            let total = timeSplit.reduce(0) { $0 + $1.1 }
            lines.append("  ms per step: " + timeSplit.map { "\($0.0) " + String(format: "%.2f (%.0f%%)", 1000 * $0.1, 100 * $0.1 / max(total, 1e-12)) }
                .joined(separator: ", "))
        }
        if !extra.isEmpty { lines.append("  " + extra.map { "\($0.0) " + String(format: "%.4g", $0.1) }.joined(separator: ", ")) }
        for (k, v) in notes { lines.append("  \(k): \(v)") }
        return lines.joined(separator: "\n")
    }

    /// Runs `body` on every rank, started together after a barrier, and returns the slowest
    /// rank's seconds (a step is only as fast as its slowest rank).
    public static func slowestRank(_ comm: any Communicator, _ body: () throws -> Void) throws -> Double {
        try comm.barrier()
        let start = Timeline.now()
        try body()
        var t = [Double(Timeline.now() - start) / 1e9]
        try t.withUnsafeMutableBufferPointer { try comm.allreduceMax($0) }
        return t[0]
    }

    /// This process's peak resident set size, the largest over ranks.
    public static func peakRSS(_ comm: any Communicator) throws -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        var v = [Double(usage.ru_maxrss) * 1024]
        try v.withUnsafeMutableBufferPointer { try comm.allreduceMax($0) }
        return Int(v[0])
    }
}
