import LockstepHDF5
import LockstepNN
import LockstepTensor

/// Reader for Keras's HDF5 weight files: `model.save_weights` (legacy HDF5) and full-model
/// `.h5` saves (weights under `/model_weights`), Keras 1, 2 and 3.
///
/// The root (or `/model_weights`) lists its layers in the `layer_names` attribute (split into
/// `layer_names0`, `layer_names1`, … when large); each layer group lists its datasets in
/// `weight_names`: `kernel:0` style in Keras 2, `kernel` in Keras 3, `block1_conv1_W_1:0`
/// in Keras 1. Values keep Keras layouts (HWIO kernels, [in, out] dense kernels).
public enum KerasWeights {
    /// One Keras layer's weights, each with its role (kernel, bias, gamma, beta, moving_mean, moving_variance).
    public struct Layer: Sendable {
        public let name: String
        public let weights: [(role: String, shape: [Int], values: [Float])]
    }

    /// Whether `file` looks like a Keras weight file.
    public static func isKeras(_ file: HDF5File) -> Bool {
        file.hasAttribute("layer_names") || file.hasAttribute("layer_names0")
            || ((try? file.group("model_weights"))?.hasAttribute("layer_names") ?? false)
    }

    public static func read(_ path: String) throws -> [Layer] {
        let file = try HDF5File.open(path)
        let root: HDF5Group = file.exists("model_weights") && !file.hasAttribute("layer_names") ? try file.group("model_weights") : file
        let names = try listAttribute(root, "layer_names")
        guard !names.isEmpty else {
            throw HDF5Error(file: path, object: root.path, message: "no layer_names attribute: not a Keras weight file")
        }
        return try names.map { name in
            guard root.exists(name) else { return Layer(name: name, weights: []) }
            let g = try root.group(name)
            let weightNames = (try? listAttribute(g, "weight_names")) ?? []
            return Layer(name: name, weights: try weightNames.map { w in
                let d = try g.dataset(w)
                return (role(of: w, layer: name), d.shape, try d.read(as: Float.self))
            })
        }
    }

    /// A string-list attribute, or its split form NAME0, NAME1, … (Keras splits large ones).
    private static func listAttribute(_ g: HDF5Group, _ name: String) throws -> [String] {
        if g.hasAttribute(name) { return try g.stringArrayAttribute(name) }
        var out: [String] = [], i = 0
        while g.hasAttribute("\(name)\(i)") { out += try g.stringArrayAttribute("\(name)\(i)"); i += 1 }
        return out
    }

    /// kernel, bias, gamma, beta, moving_mean or moving_variance from any Keras version's name.
    public static func role(of weightName: String, layer: String) -> String {
        var base = String(weightName.split(separator: "/").last ?? "")
        if let colon = base.firstIndex(of: ":") { base = String(base[..<colon]) }
        if base.hasPrefix(layer + "_") { base = String(base.dropFirst(layer.count + 1)) }  // Keras 1: block1_conv1_W_1
        if let last = base.split(separator: "_").last, Int(last) != nil, base.contains("_") {
            base = String(base[..<base.lastIndex(of: "_")!])
        }
        switch base {
        case "W", "kernel": return "kernel"
        case "b", "bias": return "bias"
        case "running_mean", "moving_mean": return "moving_mean"
        case "running_std", "running_var", "moving_variance": return "moving_variance"
        default: return base
        }
    }
}

/// Maps keras.applications-named weights onto Lockstep's torchvision-named builders.
///
/// VGG16 naming (`block1_conv1` … `fc1`, `fc2`, `predictions`): the k-th conv maps to the k-th
/// conv of `features`, the three dense layers to `classifier.0/3/6`. ResNet50 naming
/// (`conv1_conv`, `conv1_bn`, `convS_blockB_{0,1,2,3}_{conv,bn}`, `predictions`) maps to
/// `conv1`, `bn1`, `layer{S-1}.{B-1}.{downsample.0/1, convK/bnK}`, `fc`. Kernels are
/// transposed (HWIO → OIHW, [in, out] → [out, in]); the first dense layer after a
/// channels-last flatten has its columns permuted from (h, w, c) to Lockstep's (c, h, w).
public enum KerasImport {
    public static func stateDict(_ layers: [KerasWeights.Layer], for model: Model, source: String) throws -> [NamedTensor] {
        let withWeights = layers.filter { !$0.weights.isEmpty }
        let names = Set(withWeights.map(\.name))
        var out: [NamedTensor] = []
        if names.contains("block1_conv1") {
            let convs = model.parameters.map(\.name).filter { $0.hasPrefix("features.") && $0.hasSuffix(".weight") }
                .filter { model.arena.parameter(named: $0)!.shape.count == 4 }
                .map { String($0.dropLast(".weight".count)) }
            let denses = model.parameters.map(\.name).filter { $0.hasPrefix("classifier.") && $0.hasSuffix(".weight") }
                .map { String($0.dropLast(".weight".count)) }
            let kerasConvs = withWeights.filter { $0.name.hasPrefix("block") }
            guard kerasConvs.count == convs.count else {
                throw ImportError("\(source): \(kerasConvs.count) Keras conv layers, the model has \(convs.count) in features")
            }
            for (k, target) in zip(kerasConvs, convs) { out += try convert(k, to: target, source: source) }
            let flattenShape = (model.root as? Sequential).flatMap { s in s.names.firstIndex(of: "flatten").map { s.inputShapes[$0] } }
            for (i, name) in ["fc1", "fc2", "predictions"].enumerated() {
                guard let k = withWeights.first(where: { $0.name == name }) else {
                    throw ImportError("\(source): Keras layer \(name) is missing (VGG naming expects fc1, fc2, predictions)")
                }
                guard i < denses.count else { throw ImportError("\(source): the model's classifier has \(denses.count) dense layers, expected 3") }
                out += try convert(k, to: denses[i], source: source, flattenedFrom: i == 0 ? flattenShape : nil)
            }
        } else if names.contains("conv1_conv") {
            for k in withWeights {
                out += try convert(k, to: try resnetTarget(k.name, source: source), source: source)
            }
        } else {
            throw ImportError("\(source): unrecognized Keras layer names (expected keras.applications VGG16 or ResNet50 naming); found \(withWeights.prefix(4).map(\.name).joined(separator: ", "))")
        }
        return out
    }

    private static func resnetTarget(_ name: String, source: String) throws -> String {
        switch name {
        case "conv1_conv": return "conv1"
        case "conv1_bn": return "bn1"
        case "predictions", "probs", "fc1000": return "fc"
        default:
            // convS_blockB_K_{conv,bn}
            let parts = name.split(separator: "_")
            guard parts.count == 4, parts[0].hasPrefix("conv"), let s = Int(parts[0].dropFirst(4)),
                  parts[1].hasPrefix("block"), let b = Int(parts[1].dropFirst(5)), let k = Int(parts[2]),
                  parts[3] == "conv" || parts[3] == "bn" else {
                throw ImportError("\(source): Keras layer \(name) does not follow ResNet50 naming (convS_blockB_K_conv/bn)")
            }
            let block = "layer\(s - 1).\(b - 1)."
            if k == 0 { return block + (parts[3] == "conv" ? "downsample.0" : "downsample.1") }
            return block + (parts[3] == "conv" ? "conv\(k)" : "bn\(k)")
        }
    }

    private static func convert(_ layer: KerasWeights.Layer, to prefix: String, source: String,
                                flattenedFrom flat: [Int]? = nil) throws -> [NamedTensor] {
        try layer.weights.map { w in
            switch w.role {
            case "kernel" where w.shape.count == 4:  // [kh, kw, in, out] → [out, in, kh, kw]
                let oihw = [w.shape[3], w.shape[2], w.shape[0], w.shape[1]]
                return NamedTensor(name: prefix + ".weight", shape: oihw, values: KerasLayout.convKernel(w.values, oihw: oihw, toKeras: false))
            case "kernel" where w.shape.count == 2:  // [in, out] → [out, in], (h, w, c) rows → (c, h, w) columns
                let (n, m) = (w.shape[0], w.shape[1])
                return NamedTensor(name: prefix + ".weight", shape: [m, n],
                                   values: KerasLayout.denseKernel(w.values, outputs: m, inputs: n, flattenedFrom: flat, toKeras: false))
            case "bias", "beta": return NamedTensor(name: prefix + ".bias", shape: w.shape, values: w.values)
            case "gamma": return NamedTensor(name: prefix + ".weight", shape: w.shape, values: w.values)
            case "moving_mean": return NamedTensor(name: prefix + ".running_mean", shape: w.shape, values: w.values)
            case "moving_variance": return NamedTensor(name: prefix + ".running_var", shape: w.shape, values: w.values)
            default: throw ImportError("\(source): Keras layer \(layer.name) has a weight of unknown role \(w.role) \(w.shape)")
            }
        }
    }
}

/// Pretrained weights that cannot be used: names the file and the problem.
public struct ImportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
