import Foundation
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTensor

/// Faults a test asks a run to suffer, so recovery can be checked on real processes.
///
/// Read from `LOCKSTEP_FAULT_INJECTION` (comma-separated) by the command line only; library
/// users and unit tests pass a value (or none) to `Trainer`. Known faults:
/// - `checkpoint-write:N` — rank 0 kills itself (SIGKILL) in the middle of writing its N-th
///   checkpoint, after the first tensor of the file.
/// - `perturb:R:S` — after step S, rank R changes one parameter by one unit in the last place,
///   as a flipped bit in memory would: its replica silently diverges.
/// - `poison:R:S` — rank R's batch of step S (from 1) gets a NaN, as a corrupted sample would.
/// - `slow:R:MS` — rank R waits MS milliseconds for every batch, as a rank on a slower or shared
///   node would (every rank then waits for it at the allreduce).
public struct FaultInjection: Sendable, Equatable {
    /// Die while writing this checkpoint (1 = the first this process writes).
    public var killDuringCheckpoint: Int?
    /// Perturb this rank's parameters after this step.
    public var perturb: (rank: Int, step: Int)?
    /// Put a NaN into this rank's batch of this step.
    public var poison: (rank: Int, step: Int)?
    /// Milliseconds this rank waits for every batch.
    public var slow: (rank: Int, milliseconds: Int)?

    public init(killDuringCheckpoint: Int? = nil, perturb: (rank: Int, step: Int)? = nil, poison: (rank: Int, step: Int)? = nil) {
        self.killDuringCheckpoint = killDuringCheckpoint
        self.perturb = perturb
        self.poison = poison
    }

    public static func == (a: FaultInjection, b: FaultInjection) -> Bool {
        a.killDuringCheckpoint == b.killDuringCheckpoint && a.perturb?.rank == b.perturb?.rank && a.perturb?.step == b.perturb?.step
            && a.poison?.rank == b.poison?.rank && a.poison?.step == b.poison?.step
            && a.slow?.rank == b.slow?.rank && a.slow?.milliseconds == b.slow?.milliseconds
    }

    static let usage = "expected a comma-separated list of checkpoint-write:N, perturb:RANK:STEP, poison:RANK:STEP and slow:RANK:MS"

    /// The faults `LOCKSTEP_FAULT_INJECTION` names; an unknown spec is an error, not ignored.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FaultInjection {
        guard let spec = environment["LOCKSTEP_FAULT_INJECTION"], !spec.isEmpty else { return FaultInjection() }
        var faults = FaultInjection()
        for item in spec.split(separator: ",") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            let numbers = parts.dropFirst().compactMap(Int.init)
            switch (parts[0], numbers.count == parts.count - 1 ? numbers : []) {
            case ("checkpoint-write", let n) where n.count == 1 && n[0] >= 1: faults.killDuringCheckpoint = n[0]
            case ("perturb", let n) where n.count == 2 && n[0] >= 0 && n[1] >= 1: faults.perturb = (n[0], n[1])
            case ("poison", let n) where n.count == 2 && n[0] >= 0 && n[1] >= 1: faults.poison = (n[0], n[1])
            case ("slow", let n) where n.count == 2 && n[0] >= 0 && n[1] >= 1: faults.slow = (n[0], n[1])
            default: throw SpecificationError("LOCKSTEP_FAULT_INJECTION=\(spec): \(usage)")
            }
        }
        return faults
    }

    /// Puts a NaN into `inputs` if the poison is due on `rank` at `step`.
    func poisonIfDue(_ inputs: Tensor, rank: Int, step: Int) {
        guard let p = poison, p.rank == rank, p.step == step, inputs.count > 0 else { return }
        inputs[0] = .nan
    }

    /// Waits, if this rank is the slowed one.
    func delayIfSlow(rank: Int) {
        guard let s = slow, s.rank == rank else { return }
        usleep(UInt32(s.milliseconds * 1000))
    }

    /// Applies the parameter perturbation if it is due on `rank` after `step`.
    func perturbIfDue(_ model: Model, rank: Int, step: Int) {
        guard let p = perturb, p.rank == rank, p.step == step, let first = model.parameters.first else { return }
        first.value[0] = first.value[0].nextUp
    }

    /// Installs the checkpoint fault into `store`'s test hook.
    func arm(_ store: CheckpointStore) {
        guard let target = killDuringCheckpoint else { return }
        store.afterTensorWritten = { checkpoint, tensor in
            if checkpoint == target && tensor == 1 { kill(getpid(), SIGKILL) }
        }
    }

    /// A `LOCKSTEP_FAULT_INJECTION` value that names no fault: says which, and the usage.
    public struct SpecificationError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
