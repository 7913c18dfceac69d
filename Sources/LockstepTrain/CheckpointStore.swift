import Foundation
import Lockstep
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor

/// The run's checkpoints: rank 0 writes them (atomically, with a `latest` pointer, keeping
/// the last k and the best); on resume rank 0 reads one and every rank receives it.
///
/// Files in the checkpoint directory: `ckpt-000001200.h5` (by step), `latest` and `best`
/// (text files naming a checkpoint, each replaced atomically). A crash at any moment leaves
/// `latest` naming a complete checkpoint.
public final class CheckpointStore {
    public let communicator: any Communicator
    public let directory: String
    public let policy: CheckpointPolicy
    /// The files and their `latest` and `best` pointers.
    public let files: CheckpointDirectory
    private var bestValue: Double?
    /// Test hook, called on rank 0 after each tensor written into a checkpoint file with the
    /// checkpoint's ordinal in this process (from 1) and the tensor's (from 1): fault
    /// injection uses it to die in the middle of a write.
    public var afterTensorWritten: ((_ checkpoint: Int, _ tensor: Int) -> Void)?
    private var checkpointsWritten = 0

    /// Exit code of a run stopped by a signal after writing its checkpoint: "resume me".
    public static let resumeExitCode = ExitCode.resumable

    public init(communicator: any Communicator, runDirectory: String, policy: CheckpointPolicy) {
        self.communicator = communicator
        self.policy = policy
        self.directory = policy.directory ?? runDirectory + "/checkpoints"
        files = CheckpointDirectory(directory, prefix: "ckpt-")
        if let best = files.pointer("best"), (try? FileDigest.verify(best)) != nil, let file = try? HDF5File.open(best),
           let header = try? Checkpoint.header(of: file), let monitor = policy.monitor {
            bestValue = header.metrics[monitor]
        }
    }

    /// The checkpoint file name for `step`.
    public static func fileName(step: Int) -> String { CheckpointDirectory.fileName("ckpt-", step: step) }

    /// The checkpoint a pointer file (`latest`, `best`) of `directory` names, if it names one.
    public static func pointer(_ directory: String, _ name: String) -> String? {
        CheckpointDirectory(directory, prefix: "ckpt-").pointer(name)
    }

    /// Resolves `--resume` on rank 0 and tells every rank (a collective call). "auto" is the
    /// newest intact checkpoint — the one `latest` names, else the newest file whose digest
    /// verifies, each one skipped said through `say` — or nil for a fresh start when there is
    /// none; anything else is a checkpoint path that must exist and verify.
    public func resolve(resume: String, say: (String) -> Void) throws -> String? {
        var chosen = ""
        if communicator.rank == 0 { chosen = try resolveOnRank0(resume, say: say) ?? "" }
        chosen = try communicator.broadcast(chosen, root: 0)
        return chosen.isEmpty ? nil : chosen
    }

    private func resolveOnRank0(_ resume: String, say: (String) -> Void) throws -> String? {
        guard resume == "auto" else {
            guard FileManager.default.fileExists(atPath: resume) else { throw CheckpointError("\(resume): no such checkpoint") }
            try Self.verify(resume)
            return resume
        }
        let candidates = files.newestFirst
        if candidates.isEmpty { return nil }
        for path in candidates {
            do {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw CheckpointError("\(directory)/latest names \(path), which does not exist")
                }
                try Self.verify(path)
                return path
            } catch {
                say("lockstep: skipping checkpoint: \(error); trying an older one")
            }
        }
        throw CheckpointError("\(directory): none of its \(candidates.count) checkpoint(s) is intact; resume from a file with --resume PATH or start afresh without --resume")
    }

    /// Checks a checkpoint against its digest before HDF5 reads it (libhdf5 can crash on a
    /// corrupted file).
    static func verify(_ path: String) throws {
        do { try FileDigest.verify(path) } catch let e as HDF5Error {
            throw CheckpointError("\(path): cannot use the checkpoint: \(e.message)")
        }
    }

    /// Rank 0 writes a checkpoint and updates `latest` (and `best`), then prunes old ones.
    /// Other ranks do nothing; they hold the same state.
    public func save(model: Model, optimizer: any Optimizer, header: Checkpoint.Header) throws {
        guard communicator.rank == 0 else { return }
        try files.create()
        checkpointsWritten += 1
        let ordinal = checkpointsWritten
        var tensors = 0
        let name = files.fileName(step: header.position.step)
        do {
            try Checkpoint.write(to: directory + "/" + name, model: model, optimizer: optimizer, header: header) {
                tensors += 1
                self.afterTensorWritten?(ordinal, tensors)
            }
            try files.point("latest", at: name)
            if let monitor = policy.monitor, let value = header.metrics[monitor],
               bestValue.map({ policy.mode == .min ? value < $0 : value > $0 }) ?? true {
                bestValue = value
                try files.point("best", at: name)
            }
        } catch let e as HDF5Error {
            throw CheckpointError("checkpoint at step \(header.position.step) not written (\(e)); the previous checkpoint is intact")
        }
        files.prune(keepLast: policy.keepLast)
    }

    /// Restores `path` on every rank: rank 0 reads and verifies it, then parameters, buffers,
    /// optimizer state and counters are broadcast. Throws on rank 0 for a bad file (the caller
    /// aborts every rank).
    public func restore(_ path: String, model: Model, optimizer: any Optimizer, expectedSeed: Int,
                        expectedGlobalBatch: Int) throws -> (TrainingPosition, watched: [String: Double]) {
        var point = ResumePoint()
        var watched = "{}"  // the early-stopping and plateau counters (metric.watch.*), as JSON
        optimizer.prepareSlots(for: model.arena)
        if communicator.rank == 0 {
            let header = try Checkpoint.load(path, into: model, optimizer: optimizer)
            guard header.seed == expectedSeed else {
                throw CheckpointError("\(path): written with seed \(header.seed), the recipe has seed \(expectedSeed); the data order would differ")
            }
            guard header.globalBatch == expectedGlobalBatch else {
                throw CheckpointError("\(path): written with global batch \(header.globalBatch) (\(header.worldSize) ranks), this run's is \(expectedGlobalBatch) (\(communicator.size) ranks × batch_per_rank × accumulate_steps); set batch_per_rank × accumulate_steps to \(header.globalBatch / communicator.size) to resume on \(communicator.size) ranks")
            }
            point = ResumePoint(step: Int64(header.position.step), epoch: Int64(header.position.epoch),
                                positionInEpoch: Int64(header.position.positionInEpoch), optimizerStep: Int64(header.optimizerStep))
            watched = String(decoding: try JSONEncoder().encode(header.metrics.filter { $0.key.hasPrefix("watch.") }), as: UTF8.self)
        }
        try withUnsafeMutableBytes(of: &point) { try communicator.broadcast($0, root: 0) }
        watched = try communicator.broadcast(watched, root: 0)
        try communicator.broadcast(stateOf: model, root: 0)
        for (_, buffer) in optimizer.slots { try communicator.broadcast(UnsafeMutableRawBufferPointer(buffer), root: 0) }
        optimizer.stepCount = Int(point.optimizerStep)
        let state = try JSONDecoder().decode([String: Double].self, from: Data(watched.utf8))
        return (TrainingPosition(step: Int(point.step), epoch: Int(point.epoch), positionInEpoch: Int(point.positionInEpoch)), state)
    }
}

/// The counters rank 0 reads from a checkpoint and broadcasts as raw bytes (a trivial type of
/// fixed-size integers, laid out alike on every rank).
private struct ResumePoint {
    var step: Int64 = 0
    var epoch: Int64 = 0
    var positionInEpoch: Int64 = 0
    var optimizerStep: Int64 = 0
}

