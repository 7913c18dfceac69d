import Foundation
import Lockstep
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor

/// A checkpoint file: model state, optimizer state, counters and the recipe, in HDF5.
///
/// Layout (readable with h5py):
///
///     /model/<name>              parameters and BatchNorm buffers, PyTorch names and layouts
///     /optimizer/<slot>/<name>   optimizer state per parameter (momentum, exp_avg, exp_avg_sq)
///     root attributes            format, version, step, epoch, position_in_epoch, seed,
///                                world_size, global_batch, batch_per_rank, optimizer,
///                                optimizer_step, optimizer.<hyperparameter>, recipe, lockstep_version,
///                                and metric.<name> for the metrics known when written
public enum Checkpoint {
    public static let format = "lockstep-checkpoint"
    public static let version = 1
    public static let lockstepVersion = "0.3.0"

    /// The metadata of a checkpoint.
    public struct Header: Sendable {
        public var position: TrainingPosition
        public var seed: Int
        public var worldSize: Int
        public var globalBatch: Int
        public var optimizer: String
        public var optimizerStep: Int
        public var recipe: String
        public var metrics: [String: Double]
    }

    /// Writes a checkpoint atomically (temporary file, fsync, rename). `afterTensor` runs after
    /// each model tensor is written (the checkpoint store's test hook).
    public static func write(to path: String, model: Model, optimizer: any Optimizer, header: Header,
                             afterTensor: () -> Void = {}) throws {
        try HDF5File.writeAtomically(to: path, digest: true) { f in
            try f.setAttribute("format", format)
            try f.setAttribute("version", version)
            try f.setAttribute("lockstep_version", lockstepVersion)
            try f.setAttribute("step", header.position.step)
            try f.setAttribute("epoch", header.position.epoch)
            try f.setAttribute("position_in_epoch", header.position.positionInEpoch)
            try f.setAttribute("seed", header.seed)
            try f.setAttribute("world_size", header.worldSize)
            try f.setAttribute("global_batch", header.globalBatch)
            try f.setAttribute("batch_per_rank", header.globalBatch / max(header.worldSize, 1))
            try f.setAttribute("optimizer", optimizer.name)
            try f.setAttribute("optimizer_step", optimizer.stepCount)
            for (k, v) in optimizer.hyperparameters.sorted(by: { $0.key < $1.key }) { try f.setAttribute("optimizer.\(k)", v) }
            for (k, v) in header.metrics.sorted(by: { $0.key < $1.key }) { try f.setAttribute("metric.\(k)", v) }
            try f.setAttribute("recipe", header.recipe)
            try ModelWeights.write(model, into: try f.createGroup("model"), afterTensor: afterTensor)
            if !optimizer.slots.isEmpty { try OptimizerState.write(optimizer, of: model.arena, into: try f.createGroup("optimizer")) }
        }
    }

    /// Reads a checkpoint's metadata, checking that it is one.
    public static func header(of file: HDF5File) throws -> Header {
        guard (try? file.stringAttribute("format")) == format else {
            throw CheckpointError("\(file.file): not a Lockstep checkpoint (no format attribute \"\(format)\")")
        }
        let v = try file.intAttribute("version")
        guard v == version else { throw CheckpointError("\(file.file): checkpoint version \(v), this Lockstep reads \(version)") }
        var metrics: [String: Double] = [:]
        for name in try file.attributeNames() where name.hasPrefix("metric.") {
            metrics[String(name.dropFirst(7))] = try file.doubleAttribute(name)
        }
        return Header(position: TrainingPosition(step: try file.intAttribute("step"), epoch: try file.intAttribute("epoch"),
                                                 positionInEpoch: try file.intAttribute("position_in_epoch")),
                      seed: try file.intAttribute("seed"), worldSize: try file.intAttribute("world_size"),
                      globalBatch: try file.intAttribute("global_batch"), optimizer: try file.stringAttribute("optimizer"),
                      optimizerStep: try file.intAttribute("optimizer_step"), recipe: try file.stringAttribute("recipe"),
                      metrics: metrics)
    }

    /// Loads a checkpoint into `model` and `optimizer` (rank 0's side of a resume). Verifies
    /// the format, the model's names and shapes (listing differences), and the optimizer type.
    public static func load(_ path: String, into model: Model, optimizer: any Optimizer) throws -> Header {
        try CheckpointStore.verify(path)
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch let e as HDF5Error {
            throw CheckpointError("\(path): cannot read the checkpoint: \(e.detail)")
        }
        let header = try self.header(of: file)
        guard header.optimizer == optimizer.name else {
            throw CheckpointError("\(path): written with optimizer \(header.optimizer), the recipe now uses \(optimizer.name); its state cannot be carried over")
        }
        do {
            try ModelWeights.apply(try ModelWeights.read(path, verify: false), to: model, source: path)
            optimizer.prepareSlots(for: model.arena)
            if !optimizer.slots.isEmpty { try OptimizerState.read(optimizer, of: model.arena, from: try file.group("optimizer"), source: path) }
        } catch let e as HDF5Error {
            throw CheckpointError("\(path): \(e.object.isEmpty ? "" : e.object + ": ")\(e.detail)")
        }
        optimizer.stepCount = header.optimizerStep
        return header
    }
}
