import ArgumentParser
import Foundation
import LockstepDistributed
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep doctor`: checks this machine for a run and says what to fix.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check this machine for a run: CPU and BLAS kernels, GEMM speed, MPI, HDF5, cores.",
        discussion: """
            Exits with 1 when it finds a problem (a run would fail or be far slower than it \
            should), with a line saying what to do. Run it on a compute node, e.g. through \
            srun, to check that node.
            """)

    @Option(help: "Ranks this node will run (default: the launcher's local rank count, else 1).")
    var ranksPerNode: Int?

    @Option(help: "BLAS threads per rank (default: OPENBLAS_NUM_THREADS, else 1).")
    var threads: Int?

    @Flag(help: "Skip the timed sgemm (about 2 s).")
    var quick = false

    @Flag(help: "Only print Open MPI's single-copy mechanism for ranks on this host: `cma` when it is allowed and faster here than copying through shared memory, else `none` (for launchers).")
    var singleCopy = false

    func run() throws {
        if singleCopy { return print(MPILibrary.singleCopyPays().pays ? "cma" : "none") }
        let env = ProcessInfo.processInfo.environment
        let ranks = ranksPerNode ?? CoreBudget.launcherRanksPerNode() ?? 1
        let perRank = threads ?? env["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 1
        guard ranks > 0, perRank > 0 else { throw ValidationError("--ranks-per-node and --threads must be positive") }
        let check = MachineCheck(budget: CoreBudget(ranksPerNode: ranks, threadsPerRank: perRank), measureGEMM: !quick)
        print(check.render(host: ProcessInfo.processInfo.hostName))
        if check.hasProblems { throw ExitCode(1) }
    }
}
