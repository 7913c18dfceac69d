import Foundation
import LockstepDistributed
import LockstepTensor

/// Ranks × BLAS threads on this node against its cores: more than the cores makes every rank
/// wait for the others at each allreduce while the OS shares the cores out.
public struct CoreBudget: Sendable {
    public var ranksPerNode: Int
    public var threadsPerRank: Int
    public var cores: Int

    public init(ranksPerNode: Int, threadsPerRank: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.ranksPerNode = ranksPerNode
        self.threadsPerRank = threadsPerRank
        self.cores = cores
    }

    /// Ranks on this node as the launcher says (mpirun, then Slurm), if it says.
    public static func launcherRanksPerNode(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Int? {
        ["OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE"].lazy.compactMap { env[$0].flatMap(Int.init) }.first
    }

    /// This rank's node with the ranks that share its host name counted (a collective call;
    /// launchers do not always say, srun's direct launch among them), and this rank's BLAS threads.
    public static func ofThisHost(_ comm: any Communicator) throws -> CoreBudget {
        let hosts = try comm.allgather(comm.hostname)
        return CoreBudget(ranksPerNode: hosts.filter { $0 == hosts[comm.rank] }.count, threadsPerRank: BLAS.threads)
    }

    public var isOversubscribed: Bool { ranksPerNode * threadsPerRank > cores }

    /// Whether a core is left over when every rank runs its BLAS threads (for a loader thread).
    public var hasSpareCore: Bool { ranksPerNode * threadsPerRank < cores }

    public var summary: String { "\(ranksPerNode) rank(s) × \(threadsPerRank) BLAS thread(s) per node, \(cores) cores" }

    public var advice: String {
        "use fewer ranks per node or fewer threads (OPENBLAS_NUM_THREADS) so that ranks × threads ≤ \(cores)"
    }
}
