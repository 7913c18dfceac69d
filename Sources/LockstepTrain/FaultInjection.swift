import Foundation

/// Faults a test asks a run to suffer, so recovery can be checked on real processes.
///
/// Read from `LOCKSTEP_FAULT_INJECTION` by the command line only; library users and unit
/// tests pass a value (or none) to `Trainer`. Known faults:
/// - `checkpoint-write:N` — rank 0 kills itself (SIGKILL) in the middle of writing its N-th
///   checkpoint, after the first tensor of the file.
public struct FaultInjection: Sendable, Equatable {
    /// Die while writing this checkpoint (1 = the first this process writes).
    public var killDuringCheckpoint: Int?

    public init(killDuringCheckpoint: Int? = nil) {
        self.killDuringCheckpoint = killDuringCheckpoint
    }

    /// The faults `LOCKSTEP_FAULT_INJECTION` names; an unknown spec is an error, not ignored.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FaultInjection {
        guard let spec = environment["LOCKSTEP_FAULT_INJECTION"], !spec.isEmpty else { return FaultInjection() }
        let prefix = "checkpoint-write:"
        guard spec.hasPrefix(prefix), let n = Int(spec.dropFirst(prefix.count)), n > 0 else {
            throw RecipeError("LOCKSTEP_FAULT_INJECTION=\(spec): expected checkpoint-write:N with N ≥ 1")
        }
        return FaultInjection(killDuringCheckpoint: n)
    }

    /// Installs the checkpoint fault into `store`'s test hook.
    func arm(_ store: CheckpointStore) {
        guard let target = killDuringCheckpoint else { return }
        store.afterTensorWritten = { checkpoint, tensor in
            if checkpoint == target && tensor == 1 { kill(getpid(), SIGKILL) }
        }
    }
}
