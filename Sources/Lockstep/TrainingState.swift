import Foundation
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepOptimizers
import LockstepTensor

/// A checkpoint of a program's own loop: any set of models and optimizers, the position in the
/// data, and the seed, which with Lockstep's counter-based randomness (`CounterRNG` keyed by
/// seed, step and sample) is all the random state there is. Restored, a loop continues exactly
/// as if it had not stopped, bitwise, on any number of ranks that keeps the global batch.
///
/// Layout (HDF5, readable with h5py; a sha256 sidecar beside it):
///
///     /models/<key>/<name>                 parameters and buffers, PyTorch names and layouts
///     /optimizers/<key>/<slot>/<name>      each optimizer's state per parameter
///     root attributes                      format "lockstep-state", version, step, epoch,
///                                          position_in_epoch, seed, world_size,
///                                          optimizer.<key> (its name), optimizer_step.<key>,
///                                          and metadata.<name> for the caller's own strings
///
/// Files go to a directory as `state-000000120.h5` with a `latest` pointer, each written
/// atomically by rank 0, so a crash at any moment leaves `latest` naming a complete file.
public struct TrainingState {
    /// The `format` attribute of every training-state file.
    public static let format = "lockstep-state"
    /// The layout version this Lockstep writes and reads.
    public static let version = 1

    /// The models, by the key they are saved under (e.g. "generator", "discriminator").
    public var models: [String: Model]
    /// The optimizers, by the key of the model each updates.
    public var optimizers: [String: any Optimizer]

    /// The state of `models` and `optimizers`; an optimizer's key names the model it updates.
    public init(models: [String: Model], optimizers: [String: any Optimizer] = [:]) {
        self.models = models
        self.optimizers = optimizers
    }

    /// What a restore found besides the tensors.
    public struct Header: Sendable, Equatable {
        /// Where the loop was: the next step, its epoch and its place in the epoch.
        public var position: TrainingPosition
        /// The seed the loop ran with (its data order and noise follow from it).
        public var seed: UInt64
        /// Ranks of the run that wrote it.
        public var worldSize: Int
        /// The caller's own values, as given to `save`.
        public var metadata: [String: String]
    }

    /// The file name of the state at `step`.
    public static func fileName(step: Int) -> String { CheckpointDirectory.fileName("state-", step: step) }

    /// Rank 0 writes the state to `directory` (created if needed) and points `latest` at it;
    /// other ranks return at once (their replicas hold the same state). Keeps the newest
    /// `keepLast` files.
    public func save(to directory: String, position: TrainingPosition, seed: UInt64, metadata: [String: String] = [:],
                     communicator: any Communicator, keepLast: Int = 2) throws {
        guard communicator.rank == 0 else { return }
        let files = CheckpointDirectory(directory, prefix: "state-")
        try files.create()
        let name = files.fileName(step: position.step)
        do {
            try write(to: directory + "/" + name, position: position, seed: seed, worldSize: communicator.size, metadata: metadata)
            try files.point("latest", at: name)
        } catch let e as HDF5Error {
            throw CheckpointError("state at step \(position.step) not written (\(e)); the previous one is intact")
        }
        files.prune(keepLast: keepLast, pointers: ["latest"])
    }

    /// Writes the state to the file `path` (atomically, with its digest).
    public func write(to path: String, position: TrainingPosition, seed: UInt64, worldSize: Int,
                      metadata: [String: String] = [:]) throws {
        try HDF5File.writeAtomically(to: path, digest: true) { f in
            try f.setAttribute("format", Self.format)
            try f.setAttribute("version", Self.version)
            try f.setAttribute("step", position.step)
            try f.setAttribute("epoch", position.epoch)
            try f.setAttribute("position_in_epoch", position.positionInEpoch)
            try f.setAttribute("seed", String(seed))
            try f.setAttribute("world_size", worldSize)
            for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { try f.setAttribute("metadata.\(k)", v) }
            let modelGroup = try f.createGroup("models")
            for (key, model) in models.sorted(by: { $0.key < $1.key }) {
                try ModelWeights.write(model, into: try modelGroup.createGroup(key))
            }
            let optimizerGroup = try f.createGroup("optimizers")
            for (key, optimizer) in optimizers.sorted(by: { $0.key < $1.key }) {
                guard let model = models[key] else { throw CheckpointError("optimizer '\(key)' has no model of that key to save it with") }
                try f.setAttribute("optimizer.\(key)", optimizer.name)
                try f.setAttribute("optimizer_step.\(key)", optimizer.stepCount)
                try OptimizerState.write(optimizer, of: model.arena, into: try optimizerGroup.createGroup(key))
            }
        }
    }

    /// Compares every rank's fingerprint of all the state's models and optimizers (a
    /// collective call); throws naming the ranks whose replicas drifted (`ReplicaFingerprint`).
    public func checkReplicasAgree(communicator: any Communicator, step: Int) throws {
        let replicas = models.sorted { $0.key < $1.key }.map { (model: $0.value, optimizer: optimizers[$0.key]) }
        try ReplicaFingerprint.check(replicas, communicator, step: step)
    }

    /// The newest intact state in `directory` (the one `latest` names, else the newest file
    /// whose digest verifies), or nil when there is none. Rank 0 decides and tells every rank
    /// (a collective call).
    public static func latest(in directory: String, communicator: any Communicator) throws -> String? {
        var chosen = ""
        if communicator.rank == 0 { chosen = latestOnThisRank(in: directory) ?? "" }
        chosen = try communicator.broadcast(chosen, root: 0)
        return chosen.isEmpty ? nil : chosen
    }

    private static func latestOnThisRank(in directory: String) -> String? {
        CheckpointDirectory(directory, prefix: "state-").newestFirst.first { (try? FileDigest.verify($0)) != nil }
    }

    /// Restores the state of `path` on every rank (a collective call): rank 0 verifies the
    /// file's digest and reads it, checking every model's and optimizer's names and shapes;
    /// then parameters, buffers, optimizer state and counters are broadcast. An error on rank
    /// 0 names the file and what does not match.
    public func restore(from path: String, communicator: any Communicator) throws -> Header {
        for (key, optimizer) in optimizers.sorted(by: { $0.key < $1.key }) {
            guard let model = models[key] else { throw CheckpointError("optimizer '\(key)' has no model of that key to restore it into") }
            optimizer.prepareSlots(for: model.arena)
        }
        var header = Header(position: TrainingPosition(step: 0, epoch: 0, positionInEpoch: 0), seed: 0, worldSize: 0, metadata: [:])
        var steps = [Int64](repeating: 0, count: optimizers.count)
        if communicator.rank == 0 {
            header = try read(path)
            steps = optimizers.sorted(by: { $0.key < $1.key }).map { Int64($0.value.stepCount) }
        }
        var counters = [Int64(header.position.step), Int64(header.position.epoch), Int64(header.position.positionInEpoch),
                        Int64(bitPattern: header.seed), Int64(header.worldSize)] + steps
        try counters.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
        let metadata = try communicator.broadcast(String(decoding: try JSONEncoder().encode(header.metadata), as: UTF8.self), root: 0)
        for (_, model) in models.sorted(by: { $0.key < $1.key }) { try communicator.broadcast(stateOf: model, root: 0) }
        for (i, (_, optimizer)) in optimizers.sorted(by: { $0.key < $1.key }).enumerated() {
            for (_, buffer) in optimizer.slots { try communicator.broadcast(UnsafeMutableRawBufferPointer(buffer), root: 0) }
            optimizer.stepCount = Int(counters[5 + i])
        }
        return Header(position: TrainingPosition(step: Int(counters[0]), epoch: Int(counters[1]), positionInEpoch: Int(counters[2])),
                      seed: UInt64(bitPattern: counters[3]), worldSize: Int(counters[4]),
                      metadata: try JSONDecoder().decode([String: String].self, from: Data(metadata.utf8)))
    }

    /// Reads `path` into this process's models and optimizers (no communication).
    public func read(_ path: String) throws -> Header {
        do { try FileDigest.verify(path) } catch let e as HDF5Error { throw CheckpointError("\(path): cannot use the state: \(e.message)") }
        do {
            let file = try HDF5File.open(path)
            guard (try? file.stringAttribute("format")) == Self.format else {
                throw CheckpointError("\(path): not a Lockstep training state (no format attribute \"\(Self.format)\")")
            }
            let v = try file.intAttribute("version")
            guard v == Self.version else { throw CheckpointError("\(path): training state version \(v), this Lockstep reads \(Self.version)") }
            for (key, model) in models.sorted(by: { $0.key < $1.key }) {
                guard file.exists("models/\(key)") else { throw CheckpointError("\(path): holds no model '\(key)'") }
                do {
                    try ModelWeights.apply(try ModelWeights.read(path, group: "models/\(key)", verify: false), to: model, source: path)
                } catch let e as HDF5Error {
                    throw CheckpointError("\(path): model '\(key)' \(e.detail)")
                }
            }
            for (key, optimizer) in optimizers.sorted(by: { $0.key < $1.key }) {
                let written = (try? file.stringAttribute("optimizer.\(key)")) ?? "none"
                guard written == optimizer.name else {
                    throw CheckpointError("\(path): model '\(key)' was trained with optimizer \(written), this program uses \(optimizer.name); its state cannot be carried over")
                }
                try OptimizerState.read(optimizer, of: models[key]!.arena, from: try file.group("optimizers/\(key)"), source: path)
                optimizer.stepCount = try file.intAttribute("optimizer_step.\(key)")
            }
            var metadata: [String: String] = [:]
            for name in try file.attributeNames() where name.hasPrefix("metadata.") {
                metadata[String(name.dropFirst(9))] = try file.stringAttribute(name)
            }
            return Header(position: TrainingPosition(step: try file.intAttribute("step"), epoch: try file.intAttribute("epoch"),
                                                     positionInEpoch: try file.intAttribute("position_in_epoch")),
                          seed: UInt64(try file.stringAttribute("seed")) ?? 0, worldSize: try file.intAttribute("world_size"),
                          metadata: metadata)
        } catch let e as HDF5Error {
            throw CheckpointError("\(path): \(e.object.isEmpty ? "" : e.object + ": ")\(e.detail)")
        }
    }
}
