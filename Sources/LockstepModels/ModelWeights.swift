import LockstepHDF5
import LockstepNN
import LockstepTensor

/// Model parameters in HDF5: one float32 dataset per parameter under `/model/<name>`,
/// with PyTorch names and layouts (readable with h5py as a state dict).
public enum ModelWeights {
    /// Writes `model`'s parameters to `path` atomically, with `attributes` on the root.
    public static func save(_ model: Model, to path: String, attributes: [String: String] = [:]) throws {
        try HDF5File.writeAtomically(to: path) { f in
            try f.setAttribute("format", "lockstep-weights")
            for (k, v) in attributes.sorted(by: { $0.key < $1.key }) { try f.setAttribute(k, v) }
            let g = try f.createGroup("model")
            for p in model.parameters {
                let d = try g.createDataset(p.name, of: Float.self, shape: p.shape)
                try d.write(UnsafeBufferPointer(p.value.buffer))
            }
        }
    }

    /// Parameter names and values stored in `path` under `/model`.
    public static func read(_ path: String) throws -> [(name: String, shape: [Int], values: [Float])] {
        let f = try HDF5File.open(path)
        let g = try f.group("model")
        var out: [(String, [Int], [Float])] = []
        func walk(_ group: HDF5Group, prefix: String) throws {
            for member in try group.memberNames() {
                let name = prefix.isEmpty ? member : prefix + "." + member
                if group.isGroup(member) {
                    try walk(try group.group(member), prefix: name)
                } else {
                    let d = try group.dataset(member)
                    out.append((name, d.shape, try d.read(as: Float.self)))
                }
            }
        }
        try walk(g, prefix: "")
        return out
    }

    /// Loads `path` into `model`; every parameter must be present with its shape. The error
    /// lists the missing, unexpected and mis-shaped names.
    public static func load(_ path: String, into model: Model) throws {
        let stored = try read(path)
        let byName = Dictionary(stored.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        for p in model.parameters {
            guard let s = byName[p.name] else { problems.append("missing \(p.name) \(p.shape)"); continue }
            if s.shape != p.shape { problems.append("\(p.name): file has \(s.shape), model expects \(p.shape)") }
        }
        let known = Set(model.parameters.map(\.name))
        for s in stored where !known.contains(s.name) { problems.append("unexpected \(s.name) \(s.shape)") }
        guard problems.isEmpty else {
            throw HDF5Error(file: path, object: "/model", message: "does not match the model: " + problems.prefix(10).joined(separator: "; ")
                            + (problems.count > 10 ? "; … (\(problems.count) differences)" : ""))
        }
        for p in model.parameters {
            byName[p.name]!.values.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: p.count) }
        }
    }
}
