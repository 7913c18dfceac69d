import LockstepHDF5
import LockstepOptimizers
import LockstepTensor

/// An optimizer's per-parameter state (momentum, Adam's moments) in HDF5: one group per slot,
/// one dataset per parameter under its model name (`<slot>/<name>`), so h5py shows it beside
/// the weights it belongs to.
public enum OptimizerState {
    /// Writes every slot of `optimizer` for the parameters of `arena` into `group`.
    public static func write(_ optimizer: any Optimizer, of arena: ParameterArena, into group: HDF5Group) throws {
        for (slot, buffer) in optimizer.slots {
            let g = try group.createGroup(slot)
            for p in arena.parameters {
                try g.createDataset(p.name, of: Float.self, shape: p.shape)
                    .write(UnsafeBufferPointer(rebasing: buffer[p.offset..<(p.offset + p.count)]))
            }
        }
    }

    /// Reads every slot of `optimizer` for the parameters of `arena` from `group`; an error
    /// names the dataset missing or of the wrong shape, under `source` (the file).
    public static func read(_ optimizer: any Optimizer, of arena: ParameterArena, from group: HDF5Group, source: String) throws {
        optimizer.prepareSlots(for: arena)
        for (slot, buffer) in optimizer.slots {
            let g = try group.group(slot)
            for p in arena.parameters {
                let d = try g.dataset(p.name)
                guard d.shape == p.shape else {
                    throw HDF5Error(file: source, object: "\(g.path)/\(p.name)", message: "has shape \(d.shape), expected \(p.shape)")
                }
                try d.read(rows: 0..<p.shape[0], into: buffer.baseAddress! + p.offset)
            }
        }
    }
}
