import Foundation
import Lockstep
import LockstepDistributed
import LockstepHDF5
import LockstepMonitor
import LockstepOperations
import LockstepOutputs
import LockstepTensor

/// Process-level setup shared by the CLI's commands: MPI lifetime, thread settings, and the
/// rule that any error on any rank is printed as `rank r@host: error: …` and ends every rank.
public enum Runtime {
    /// Exit code for a failed run (bad input, I/O error, collective failure).
    public static let failureExitCode = ExitCode.failure

    /// Seconds `MPI_Init` took in this process (0 before `distributed` ran it).
    nonisolated(unsafe) public private(set) static var mpiInitSeconds = 0.0

    /// Initializes MPI (`World.start`), checks the machine, prints the BLAS kernels, runs
    /// `body` with the world communicator, finalizes. An error ends every rank as
    /// `World.end(after:)` says.
    public static func distributed(_ body: (any Communicator) throws -> Void) -> Int32 {
        let world: World
        do { world = try World.start() } catch {
            printError("lockstep: \(error)")
            return failureExitCode
        }
        mpiInitSeconds = world.mpiInitSeconds
        let comm = world.communicator
        do {
            try world.checkMachine()
            if comm.rank == 0 { Console.shared.line("lockstep: BLAS: \(BLASCoreSelection.report())") }
            try body(comm)
        } catch {
            return world.end(after: error)
        }
        world.finish()
        return 0
    }

    /// Gathers where every rank runs (a collective call); rank 0 prints it when `show`, and
    /// warns for each host whose ranks × BLAS threads exceed its cores.
    public static func reportPlacement(_ comm: any Communicator, show: Bool) throws {
        let report = try StartupReport.gather(comm)
        guard comm.rank == 0 else { return }
        if show { for line in report.lines { Console.shared.line(line) } }
        for warning in report.warnings { printError("lockstep: warning: \(warning)") }
    }

    /// Writes a line to standard error, and to the rank's log file once one is open.
    public static func printError(_ line: String) {
        Console.shared.error(line)
    }

    /// Sends everything this rank prints, from now on and so far, also to `RUN/logs/rank-R.log`
    /// (a crash inside libhdf5 too). A log that cannot be written costs a warning, not the run.
    public static func startRankLog(runDirectory: String, rank: Int) {
        do {
            let log = try RankLog(directory: runDirectory + "/logs", rank: rank)
            Console.shared.startLog(log)
            ReadGuard.alsoReport(to: log.fileDescriptor)
        } catch {
            printError("lockstep: warning: rank \(rank) keeps no log file: \(error)")
        }
    }
}
