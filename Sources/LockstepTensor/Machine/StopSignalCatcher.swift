import CMachine
import Foundation

/// Slurm's warning signal before a time limit (SIGUSR1), caught from the first lines of `main`:
/// it may land while the process is still starting (the BLAS re-exec, MPI start-up, data
/// verification), where its default action would kill the task instead of letting the run
/// checkpoint and requeue. `SignalMonitor` reads what was caught here as a pending stop.
public enum StopSignalCatcher {
    /// Carries a signal caught before the BLAS re-exec into the new process image.
    static let carried = "LOCKSTEP_STOP_SIGNAL"

    /// Records SIGUSR1 from now on; takes over one caught before a re-exec.
    public static func install() {
        lockstep_catch_stop_signal(SIGUSR1)
        if let value = ProcessInfo.processInfo.environment[carried], let signal = Int32(value) {
            lockstep_set_caught_stop_signal(signal)
            unsetenv(carried)
        }
    }

    /// Before exec: a signal arriving from now on stays pending into the new image (blocked),
    /// and one already caught goes with it in the environment.
    static func prepareForExec() {
        lockstep_block_stop_signal(SIGUSR1)
        let signal = lockstep_caught_stop_signal()
        if signal != 0 { setenv(carried, String(signal), 1) }
    }

    /// The signal caught since `install`, or 0.
    public static var caught: Int32 { lockstep_caught_stop_signal() }
}
