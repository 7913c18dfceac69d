/// How a Lockstep process ends, for launchers and job scripts (Slurm's `--requeue` logic, a
/// retry loop around `mpirun`).
public enum ExitCode {
    /// A failed run: bad input, an I/O error, a collective failure.
    public static let failure: Int32 = 1
    /// Stopped by a signal after writing a checkpoint: "resume me" (`--resume auto`).
    public static let resumable: Int32 = 75
    /// The stall watchdog ended the job (a phase lasted longer than `training.stall_timeout`).
    public static let stalled: Int32 = 76
}
