import LockstepHDF5
import LockstepNN
import LockstepTensor

/// Model state (parameters and BatchNorm buffers) in HDF5: one float32 dataset per tensor
/// under `/model/<name>`, PyTorch names and layouts (readable with h5py as a state dict).
public enum ModelWeights {
    /// Writes `model`'s parameters and buffers to `path` atomically, with `attributes` on the root.
    public static func save(_ model: Model, to path: String, attributes: [String: String] = [:]) throws {
        try HDF5File.writeAtomically(to: path, digest: true) { f in
            try f.setAttribute("format", "lockstep-weights")
            for (k, v) in attributes.sorted(by: { $0.key < $1.key }) { try f.setAttribute(k, v) }
            try write(model, into: try f.createGroup("model"))
        }
    }

    /// Writes `model`'s parameters and buffers as datasets of `group`, one per tensor.
    public static func write(_ model: Model, into group: HDF5Group, afterTensor: () -> Void = {}) throws {
        for (name, tensor) in state(of: model) {
            try group.createDataset(name, of: Float.self, shape: tensor.shape).write(UnsafeBufferPointer(tensor.buffer))
            afterTensor()
        }
    }

    /// Every tensor of the model's state by name: parameters, then buffers.
    public static func state(of model: Model) -> [(name: String, tensor: Tensor)] {
        model.parameters.map { ($0.name, $0.value) } + model.buffers.map { ($0.name, $0.value) }
    }

    /// The tensors stored in `path` under `/model` (or another `group`; nested groups joined
    /// with dots) of a weights file or checkpoint; `verify` first checks the file against its
    /// digest, when it has one.
    public static func read(_ path: String, group: String = "model", verify: Bool = true) throws -> [NamedTensor] {
        if verify { try FileDigest.verify(path) }
        let f = try HDF5File.open(path)
        let g = try f.group(group)
        var out: [NamedTensor] = []
        func walk(_ group: HDF5Group, prefix: String) throws {
            for member in try group.memberNames() {
                let name = prefix.isEmpty ? member : prefix + "." + member
                if group.isGroup(member) {
                    try walk(try group.group(member), prefix: name)
                } else {
                    let d = try group.dataset(member)
                    out.append(NamedTensor(name: name, shape: d.shape, values: try d.read(as: Float.self)))
                }
            }
        }
        try walk(g, prefix: "")
        return out
    }

    /// Loads an HDF5 weight file into `model` (see `apply`).
    public static func load(_ path: String, into model: Model) throws {
        try apply(try read(path), to: model, source: path)
    }

    /// Copies `tensors` into the model's parameters and buffers. Every model tensor must be
    /// present with its shape and nothing else may be left over; the error lists the missing,
    /// unexpected and mis-shaped names (the first ten) with both shapes.
    /// `excluding` names tensors taken from neither side (a replaced head keeps its fresh values).
    public static func apply(_ tensors: [NamedTensor], to model: Model, source: String,
                             excluding: (String) -> Bool = { _ in false }) throws {
        let tensors = tensors.filter { !excluding($0.name) }
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let targets = state(of: model).filter { !excluding($0.name) }
        var problems: [String] = []
        for (name, t) in targets {
            guard let s = byName[name] else { problems.append("missing \(name) \(t.shape)"); continue }
            if s.shape != t.shape { problems.append("\(name): file has \(s.shape), model expects \(t.shape)") }
        }
        let known = Set(targets.map(\.name))
        for s in tensors where !known.contains(s.name) { problems.append("unexpected \(s.name) \(s.shape)") }
        guard problems.isEmpty else {
            throw HDF5Error(file: source, object: "", message: "does not match the model: " + problems.prefix(10).joined(separator: "; ")
                            + (problems.count > 10 ? "; … (\(problems.count) differences in all)" : ""))
        }
        for (name, t) in targets { t.assign(byName[name]!.values) }
    }
}
