import Foundation
import LockstepDistributed
import LockstepHDF5
import LockstepMonitor
import LockstepTensor

/// The ranks of a data-parallel program and the rules they live by: MPI started once per
/// process, one BLAS thread per rank unless `OPENBLAS_NUM_THREADS` says otherwise, and any
/// error on any rank printed as `rank r@host: error: …` before every rank ends.
///
/// The entry point of a program of your own (launched like `lockstep` itself, by
/// `launch/run --bin PATH -n 4 -- ARGS`):
///
/// ```swift
/// @main struct MyTraining {
///     static func main() {
///         World.prepareProcess()
///         exit(World.run { world in
///             world.say("training on \(world.size) ranks")
///             // build the model, wrap it in DataParallel, loop
///         })
///     }
/// }
/// ```
public final class World {
    /// The communicator over every rank (`MPI_COMM_WORLD`).
    public let communicator: any Communicator
    /// Seconds `MPI_Init` took in this process.
    public let mpiInitSeconds: Double

    /// This process's rank, 0..<size. Rank 0 is the coordinator: it prints and writes files.
    public var rank: Int { communicator.rank }
    /// Number of ranks.
    public var size: Int { communicator.size }
    /// Host name of this rank.
    public var hostname: String { communicator.hostname }
    /// Whether this rank is the coordinator (rank 0).
    public var isCoordinator: Bool { communicator.rank == 0 }

    private init(communicator: any Communicator, mpiInitSeconds: Double) {
        self.communicator = communicator
        self.mpiInitSeconds = mpiInitSeconds
    }

    /// The first call of `main`, before any thread or MPI: re-executes the process when
    /// OpenBLAS picked kernels older than this CPU runs (or will spin idle threads for 0.1 s),
    /// and installs the handler that names the file libhdf5 was reading if a damaged one
    /// crashes it.
    public static func prepareProcess(label: String = CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? "lockstep") {
        StopSignalCatcher.install()
        BLASCoreSelection.restartIfNeeded()
        ReadGuard.install(label: label)
    }

    /// Starts MPI (once per process; `finish()` after the last collective), with one BLAS
    /// thread per rank unless `OPENBLAS_NUM_THREADS` says otherwise. `run` does both around a
    /// body, and `checkMachine()` first.
    public static func start() throws -> World {
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil { BLAS.threads = 1 }
        // A full disk or a file-size limit must surface as a write error, not kill the process.
        signal(SIGXFSZ, SIG_IGN)
        if let problem = missingPMI() { throw CommunicatorError(problem) }
        let started = Date()
        let comm: MPICommunicator
        do { comm = try MPICommunicator.initialize() } catch { throw CommunicatorError("cannot start MPI: \(error)") }
        // MPI_Init installed Open MPI's own crash handlers: the guard goes back on top, naming the rank.
        ReadGuard.install(label: comm.rankTag)
        if let problem = launcherMismatch(worldSize: comm.size) { throw CommunicatorError(problem) }
        return World(communicator: comm, mpiInitSeconds: Date().timeIntervalSince(started))
    }

    /// Why MPI cannot form one world of srun's tasks, if it cannot: srun started several tasks
    /// but gave them no PMI (`--mpi=none`, or a cluster whose MpiDefault is none), so each
    /// task's MPI would come up alone, or fail inside MPI_Init with no word of the cause.
    public static func missingPMI(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let tasks = environment["SLURM_STEP_NUM_TASKS"].flatMap(Int.init), tasks > 1,
              !["PMIX_RANK", "PMI_RANK", "PMI_FD", "OMPI_COMM_WORLD_RANK"].contains(where: { environment[$0] != nil }) else { return nil }
        return "srun started \(tasks) tasks (SLURM_STEP_NUM_TASKS=\(tasks)) without a PMI to join them into one MPI world (srun --mpi=none, or the cluster's MpiDefault=none): "
            + srunPMIFix
    }

    /// What gives srun's tasks one MPI world.
    static let srunPMIFix = "give srun the PMI plugin Open MPI was built with (srun --mpi=pmix, or export SLURM_MPI_TYPE=pmix; `srun --mpi=list` lists them); launch/run --cluster slurm picks it"

    /// Why a world of `worldSize` is not the one the launcher started, if it is not: srun or
    /// mpirun started N tasks, but each one's MPI came up alone (no PMI between srun and MPI),
    /// so N singletons would each train the whole model on the whole batch, never averaging.
    public static func launcherMismatch(worldSize: Int,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let launchers = [("SLURM_STEP_NUM_TASKS", "srun"), ("OMPI_COMM_WORLD_SIZE", "mpirun"), ("PMI_SIZE", "the launcher")]
        guard let (variable, launcher, tasks) = launchers.lazy.compactMap({ name, who in
            environment[name].flatMap(Int.init).map { (name, who, $0) } }).first, tasks > 1, worldSize == 1 else { return nil }
        let fix = launcher == "srun"
            ? srunPMIFix
            : "start the ranks with the MPI library Lockstep is linked with (its mpirun), or give the launcher its PMI"
        return "\(launcher) started \(tasks) tasks (\(variable)=\(tasks)) but MPI sees a world of 1: each task would train alone, never averaging with the others. \(fix)"
    }

    /// Checks that this CPU runs the BLAS and vector kernels chosen for it: kernels it cannot
    /// run would end the first GEMM with SIGILL, without a word.
    public func checkMachine() throws {
        try BLASCoreSelection.verify()
        try VectorKernels.verify()
    }

    /// Ends MPI: the last call of every rank.
    public func finish() { MPICommunicator.finalize() }

    /// Starts MPI, runs `body` on every rank, ends MPI, and returns the process's exit code:
    /// 0, or what `end(after:)` makes of an error: printed with this rank's name (`rank 1@node7:
    /// error: …`), every rank ended so that none waits forever for one that failed.
    public static func run(_ body: (World) throws -> Void) -> Int32 {
        let world: World
        do { world = try start() } catch {
            Console.shared.final("\(CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? "lockstep"): \(error)")
            return ExitCode.failure
        }
        do {
            try world.checkMachine()
            try body(world)
        } catch {
            return world.end(after: error)
        }
        world.finish()
        return 0
    }

    /// Ends MPI after `error` and returns the exit code. An `AgreedFailure` (every rank reached
    /// it together) is printed once by rank 0 and every rank exits with `ExitCode.failure`;
    /// `StoppedBySignal` (every rank agreed to stop, the checkpoint is written) exits with
    /// `ExitCode.resumable`; any other error, met by this rank alone, is printed with its name
    /// and aborts every rank (`MPI_Abort`). Every rank's log says why it ended.
    public func end(after error: Error) -> Int32 {
        let code: Int32
        switch error {
        case let failure as AgreedFailure:
            if isCoordinator { Console.shared.final("\(communicator.rankTag): error: \(failure)") }
            else { Console.shared.logOnly("\(communicator.rankTag): error: \(failure)") }
            code = ExitCode.failure
        case let stop as StoppedBySignal:
            if isCoordinator { Console.shared.final("lockstep: \(stop)") } else { Console.shared.logOnly("\(communicator.rankTag): \(stop)") }
            code = ExitCode.resumable
        default:
            Console.shared.final("\(communicator.rankTag): error: \(error)")
            if size > 1 { communicator.abort(code: ExitCode.failure) }
            code = ExitCode.failure
        }
        finish()
        return code
    }

    /// A stall watchdog for this program's ranks (a collective call: the ranks' host names are
    /// gathered), started: if a phase its `mark`/`waiting` name lasts longer than `timeout`
    /// seconds, every rank reports where it is to `reportDirectory`, the lowest rank prints which
    /// ranks hold the job up, and every process ends with `ExitCode.stalled`. Give it to
    /// `DataParallel.watchdog` and mark your own phases (data, evaluation, checkpoints).
    public func stallWatchdog(timeout: Double, reportDirectory: String) throws -> StallWatchdog {
        let watchdog = try StallWatchdog(timeout: timeout, communicator: communicator, reportDirectory: reportDirectory)
        watchdog.start()
        return watchdog
    }

    /// Prints `line` on rank 0 only.
    public func say(_ line: String) {
        if isCoordinator { Console.shared.line(line) }
    }
}
