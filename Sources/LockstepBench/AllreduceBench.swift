import Foundation
import LockstepDistributed
import LockstepTensor
import LockstepTimeline

/// W5: Lockstep's gradient sync (`GradientReducer.finish` over an arena of that size, as a
/// training step runs it after backward: 25 MB buckets, averaging left to the optimizer)
/// against one raw blocking `MPI_Allreduce` of the same buffer, alternated in one run. Also
/// times the non-blocking path (every bucket started with MPI_Iallreduce, as backward starts
/// them, then waited for). One report per message size. With `--allreduce-dtype bfloat16`
/// the sync sends bfloat16 (conversions included) against the same Float32 MPI_Allreduce.
public enum AllreduceBench {
    public static func run(options: BenchOptions, comm: any Communicator) throws -> [BenchReport] {
        var reports: [BenchReport] = []
        for bytes in options.sizes {
            let floats = max(bytes / 4, 1)
            // Gradients arrive as many parameters (here ≤ 1 M floats each), as a model's do.
            let pieces = stride(from: 0, to: floats, by: 1 << 20).map { min(1 << 20, floats - $0) }
            let parameters = pieces.enumerated().map { Parameter(name: "p\($0.offset)", shape: [$0.element], initializer: .zeros) }
            let arena = ParameterArena(parameters: parameters)
            let reducer = GradientReducer(arena: arena, communicator: comm, bucketBytes: options.bucketBytes,
                                          precision: options.allreducePrecision)
            let raw = UnsafeMutableBufferPointer<Float>.allocate(capacity: floats)
            defer { raw.deallocate() }
            raw.initialize(repeating: 1)
            arena.gradients.update(repeating: 1, count: arena.count)

            let iterations = options.steps ?? max(5, min(2000, 200_000_000 / max(bytes, 1)))
            func timed(_ body: () throws -> Void) throws -> Double {
                try BenchReport.slowestRank(comm) { for _ in 0..<iterations { try body() } } / Double(iterations)
            }
            let sync = { try reducer.finish(averaging: false) }
            let nonblocking = { try reducer.gradientsReady(parameters.reversed()); try reducer.finish(averaging: false) }
            let mpi = { try comm.allreduceSum(raw) }
            try sync(); try nonblocking(); try mpi()  // warm-up: connections, registration
            var lockstep: [Double] = [], reference: [Double] = [], started: [Double] = []
            for _ in 0..<max(options.repeats, 3) {
                reference.append(try timed(mpi))
                lockstep.append(try timed(sync))
                started.append(try timed(nonblocking))
            }
            let tL = BenchReport.median(lockstep), tR = BenchReport.median(reference), tN = BenchReport.median(started)
            let busFactor = comm.size > 1 ? 2 * Double(comm.size - 1) / Double(comm.size) : 1
            var report = BenchReport(workload: "W5", ranks: comm.size, threads: BLAS.threads, batch: 0,
                                     samplesPerSecAll: lockstep.map { 1 / $0 }, peakRSSBytes: try BenchReport.peakRSS(comm))
            report.extra = [("bytes", Double(floats * 4)), ("buckets", Double(reducer.buckets.count)),
                            ("lockstep_s", tL), ("mpi_allreduce_s", tR), ("ratio_to_mpi", tL / tR),
                            ("nonblocking_s", tN), ("nonblocking_ratio_to_mpi", tN / tR),
                            ("lockstep_bus_gbps", busFactor * Double(floats * 4) / tL / 1e9),
                            ("mpi_bus_gbps", busFactor * Double(floats * 4) / tR / 1e9)]
            reports.append(report)
        }
        return reports
    }
}
