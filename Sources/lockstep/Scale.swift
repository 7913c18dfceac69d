import ArgumentParser
import Foundation
import LockstepBench

/// `lockstep scale`: projected step time and efficiency of data-parallel training on 1 to
/// 1024 nodes.
struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Project step time, throughput and efficiency of data-parallel training on many nodes.",
        discussion: """
            The gradient allreduce is modelled as a ring, 2(p−1)·α + 2(p−1)/p·bytes·β per bucket, with the \
            network's latency α and inverse bandwidth β either given (--latency-us, --bandwidth-gbs) or fitted \
            to `lockstep bench W5 --json` output measured on 2 or more ranks (--fit FILE). The compute time \
            per step on one rank (forward, backward, optimizer) comes from a measurement, e.g. the per-phase \
            times `lockstep train` prints at the end of a run or `lockstep bench`. Efficiency is weak \
            scaling: each rank keeps its batch.
            """)

    @Option(help: ArgumentHelp("Fit α and β to the W5 JSON lines in FILE (`lockstep bench W5 --json` on 2+ ranks; several rank counts may be in one file).", valueName: "FILE"))
    var fit: String?
    @Option(help: "Network latency per message step, microseconds.") var latencyUs: Double?
    @Option(help: "Network bandwidth per link, GB/s (10⁹ bytes/s).") var bandwidthGbs: Double?
    @Option(help: "Trainable parameters of the model (4 bytes of gradient each).") var parameters: Int
    @Option(help: "Compute time per step on one rank (forward + backward + optimizer), milliseconds.") var computeMs: Double
    @Option(help: "Part of the compute time spent in backward (overlappable with the allreduce).") var backwardFraction = 0.6
    @Option(help: "Gradient bucket size, MB (2²⁰ bytes).") var bucketMb: Double = 25
    @Option(help: "Samples per rank per step.") var batchPerRank = 32
    @Option(help: "Ranks per node (the ring spans them all).") var ranksPerNode = 1
    @Option(help: ArgumentHelp("Node counts, comma-separated.", valueName: "list")) var nodes = "1,2,4,8,16,32,64,128,256,512,1024"
    @Flag(help: "One JSON object per node count instead of a table.") var json = false

    func validate() throws {
        guard parameters > 0, computeMs > 0, bucketMb > 0, batchPerRank > 0, ranksPerNode > 0 else {
            throw ValidationError("--parameters, --compute-ms, --bucket-mb, --batch-per-rank and --ranks-per-node must be positive")
        }
        guard (0...1).contains(backwardFraction) else { throw ValidationError("--backward-fraction must be in [0, 1]") }
        guard (fit != nil) != (latencyUs != nil || bandwidthGbs != nil) else {
            throw ValidationError("give either --fit FILE or both --latency-us and --bandwidth-gbs")
        }
        if fit == nil, !(latencyUs.map { $0 >= 0 } ?? false && bandwidthGbs.map { $0 > 0 } ?? false) {
            throw ValidationError("--latency-us must be ≥ 0 and --bandwidth-gbs > 0 (both are needed)")
        }
        guard nodeCounts.count > 0 else { throw ValidationError("--nodes must list positive node counts, e.g. 1,2,4,8") }
    }

    var nodeCounts: [Int] { nodes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 } }

    func run() throws {
        let (alpha, beta, source) = try network()
        let model = ScalingModel(alpha: alpha, beta: beta, gradientBytes: 4 * Double(parameters), bucketBytes: bucketMb * 1_048_576,
                                 computeSeconds: computeMs / 1000, backwardFraction: backwardFraction)
        if !json {
            print(String(format: "α = %.2f µs, β = %.4g s/byte (%.2f GB/s)%@; %.1f MB of gradients in %d bucket(s); compute %.1f ms/step",
                         alpha * 1e6, beta, 1 / beta / 1e9, source, 4 * Double(parameters) / 1e6, model.bucketCount, computeMs))
            print("nodes  ranks   allreduce ms   step ms (no overlap)   eff.    step ms (overlap)   eff.    samples/s (overlap)")
        }
        for n in nodeCounts {
            let p = n * ranksPerNode
            let plain = model.stepSeconds(ranks: p, overlap: false), overlapped = model.stepSeconds(ranks: p, overlap: true)
            let rate = Double(p * batchPerRank) / overlapped
            if json {
                print(String(format: "{\"nodes\":%d,\"ranks\":%d,\"allreduce_s\":%.6g,\"step_s\":%.6g,\"efficiency\":%.4f,\"step_overlap_s\":%.6g,\"efficiency_overlap\":%.4f,\"samples_per_sec\":%.6g}",
                             n, p, model.communication(ranks: p), plain, model.efficiency(ranks: p, overlap: false), overlapped,
                             model.efficiency(ranks: p, overlap: true), rate))
            } else {
                print(String(format: "%5d  %5d   %12.2f   %20.2f   %4.0f%%   %17.2f   %4.0f%%    %19.0f", n, p, 1000 * model.communication(ranks: p),
                             1000 * plain, 100 * model.efficiency(ranks: p, overlap: false), 1000 * overlapped,
                             100 * model.efficiency(ranks: p, overlap: true), rate))
            }
        }
    }

    /// α, β and where they came from.
    func network() throws -> (Double, Double, String) {
        guard let fit else { return (latencyUs! * 1e-6, 1 / (bandwidthGbs! * 1e9), " (given)") }
        guard let text = try? String(contentsOfFile: fit, encoding: .utf8) else { throw ValidationError("cannot read \(fit)") }
        var ranks: Set<Int> = [], samples: [(ranks: Int, bytes: Double, seconds: Double)] = []
        for line in text.split(separator: "\n") where line.contains("\"workload\":\"W5\"") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let p = object["ranks"] as? Int, let bytes = object["bytes"] as? Double, let t = object["mpi_allreduce_s"] as? Double
            else { throw ValidationError("\(fit): a W5 line without ranks, bytes and mpi_allreduce_s: \(line.prefix(80))") }
            ranks.insert(p)
            samples.append((p, bytes, t))
        }
        let (alpha, beta) = try ScalingModel.fit(samples)
        let counts = ranks.sorted().map(String.init).joined(separator: ", ")
        return (alpha, beta, " (fitted to \(samples.count) W5 times on \(counts) ranks)")
    }
}
