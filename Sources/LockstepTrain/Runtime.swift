import Foundation
import Lockstep
import LockstepDistributed
import LockstepHDF5
import LockstepMonitor
import LockstepTensor

/// A failure every rank detected together (a collective decision), so no rank must be
/// aborted: rank 0 prints it and every rank exits with `Runtime.failureExitCode`.
public struct AgreedFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Process-level setup shared by the CLI's commands: MPI lifetime, thread settings, and the
/// rule that any error on any rank is printed as `rank r@host: error: …` and ends every rank.
public enum Runtime {
    /// Exit code for a failed run (bad input, I/O error, collective failure).
    public static let failureExitCode: Int32 = 1

    /// Seconds `MPI_Init` took in this process (0 before `distributed` ran it).
    nonisolated(unsafe) public private(set) static var mpiInitSeconds = 0.0

    /// Initializes MPI (`World.start`), runs `body` with the world communicator, finalizes.
    /// On error: prints it with this rank's name and aborts all ranks (a one-rank run just exits).
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
        } catch let failure as AgreedFailure {
            // Every rank reached the same verdict together: rank 0 says it, all end cleanly.
            // Every rank's log says why it ended; the console gets it once.
            if comm.rank == 0 { Console.shared.final("\(comm.rankTag): error: \(failure)") }
            else { Console.shared.logOnly("\(comm.rankTag): error: \(failure)") }
            MPICommunicator.finalize()
            return failureExitCode
        } catch let stop as StoppedBySignal {
            // Every rank agreed to stop and the checkpoint is on disk: a clean, resumable exit.
            if comm.rank == 0 { Console.shared.final("lockstep: \(stop)") } else { Console.shared.logOnly("\(comm.rankTag): \(stop)") }
            MPICommunicator.finalize()
            return CheckpointStore.resumeExitCode
        } catch {
            Console.shared.final("\(comm.rankTag): error: \(error)")
            if comm.size > 1 { comm.abort(code: failureExitCode) }
            MPICommunicator.finalize()
            return failureExitCode
        }
        MPICommunicator.finalize()
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
