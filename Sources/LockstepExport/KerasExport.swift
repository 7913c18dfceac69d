import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepTensor

/// A VGG or `resnet50-keras` model as a Keras `save_weights` HDF5 file (the legacy layout
/// Keras 2 writes and Keras 2 and 3 load): the root lists `layer_names`; each layer's group
/// lists `weight_names` (`block1_conv1/kernel:0`) and holds the datasets under them, in
/// keras.applications naming and layouts — HWIO conv kernels, [in, out] dense kernels whose
/// rows after the flatten are in Keras's (h, w, c) order, BatchNorm as gamma, beta,
/// moving_mean, moving_variance. `keras.applications.VGG16(weights=None).load_weights(f)`
/// takes it: layers with weights in the model's order.
public enum KerasExport {
    /// One Keras layer: its name and weights by role, in the order Keras stores them.
    struct KerasLayer {
        let name: String
        var weights: [KerasWeight]
    }

    /// One weight of a layer: kernel, bias, gamma, beta, moving_mean or moving_variance.
    struct KerasWeight {
        let role: String
        let shape: [Int]
        let values: [Float]
        init(_ role: String, _ data: (shape: [Int], values: [Float])) {
            self.role = role
            (shape, values) = data
        }
    }

    /// Writes `model` (built as `architecture`, the zoo name) to `path` atomically.
    public static func write(_ model: Model, architecture: String, to path: String) throws {
        let layers = try self.layers(of: model, architecture: architecture)
        try HDF5File.writeAtomically(to: path) { f in
            try f.setAttribute("backend", "tensorflow")
            try f.setAttribute("keras_version", "2.21.0")
            try f.setAttribute("layer_names", strings: layers.map(\.name))
            for layer in layers {
                let g = try f.createGroup(layer.name)
                try g.setAttribute("weight_names", strings: layer.weights.map { "\(layer.name)/\($0.role):0" })
                let inner = try g.createGroup(layer.name)
                for w in layer.weights { _ = try inner.write("\(w.role):0", w.values, shape: w.shape) }
            }
        }
    }

    /// The Keras layers with weights, in keras.applications' order.
    static func layers(of model: Model, architecture: String) throws -> [KerasLayer] {
        switch architecture {
        case "vgg11", "vgg16": return try vggLayers(model, architecture)
        case "resnet50-keras": return try resnetLayers(model)
        default:
            let why = switch architecture {
            case "resnet50": "keras.applications.ResNet50 strides on a bottleneck's first 1×1 convolution and has conv biases and BatchNorm ε 1.001e-5; torchvision's resnet50 does not: fine-tune model resnet50-keras to export to Keras"
            case let a where a.hasSuffix("_bn"): "keras.applications' VGG has no BatchNorm; use vgg16"
            default: "Keras export covers keras.applications' architectures: vgg16 (and vgg11 in the same naming) and resnet50-keras"
            }
            throw ExportError("model \(architecture) cannot be exported to Keras: \(why)")
        }
    }

    /// features' k-th conv of stage s → `block{s}_conv{k}`; classifier.0/3/6 → fc1, fc2, predictions.
    private static func vggLayers(_ model: Model, _ architecture: String) throws -> [KerasLayer] {
        guard let root = model.root as? Sequential, let features = root.layers.first as? Sequential,
              let flattenAt = root.names.firstIndex(of: "flatten"), let classifier = root.layers.last as? Sequential else {
            throw ExportError("model \(architecture): not laid out as the zoo's VGG (features, avgpool, flatten, classifier)")
        }
        if let poolAt = root.names.firstIndex(of: "avgpool"), root.inputShapes[poolAt] != root.inputShapes[flattenAt] {
            throw ExportError("model \(architecture): its adaptive average pool turns the last feature map \(root.inputShapes[poolAt]) into \(root.inputShapes[flattenAt]), but Keras's VGG flattens the feature map as it is; export a model whose input gives a 7×7 map (224×224 images)")
        }
        var out: [KerasLayer] = [], stage = 1, conv = 0
        for layer in features.layers {
            if layer is MaxPool2D { stage += 1; conv = 0 }
            guard let c = layer as? Conv2D else { continue }
            conv += 1
            out.append(KerasLayer(name: "block\(stage)_conv\(conv)", weights: [KerasWeight("kernel", hwio(c.weight)), KerasWeight("bias", vector(c.bias!))]))
        }
        let denses = classifier.layers.compactMap { $0 as? Dense }
        guard denses.count == 3 else { throw ExportError("model \(architecture): \(denses.count) dense layers in classifier, Keras's VGG has 3") }
        for (i, (name, d)) in zip(["fc1", "fc2", "predictions"], denses).enumerated() {
            let kernel = i == 0 ? inOut(d.weight, flattenedFrom: root.inputShapes[flattenAt]) : inOut(d.weight, flattenedFrom: nil)
            out.append(KerasLayer(name: name, weights: [KerasWeight("kernel", kernel), KerasWeight("bias", vector(d.bias!))]))
        }
        return out
    }

    /// conv1 → conv1_conv, bn1 → conv1_bn; block b of stage s: convK/bnK → conv{s+1}_block{b+1}_K_conv/bn,
    /// downsample → _0_conv/_0_bn, in Keras's order (1, 2, then 0 and 3 interleaved); fc → predictions.
    private static func resnetLayers(_ model: Model) throws -> [KerasLayer] {
        guard let root = model.root as? Sequential else { throw ExportError("model resnet50-keras: not laid out as the zoo's ResNet") }
        var out: [KerasLayer] = []
        for (name, layer) in zip(root.names, root.layers) {
            switch layer {
            case let c as Conv2D where name == "conv1": out.append(convLayer("conv1_conv", c))
            case let b as BatchNorm where name == "bn1": out.append(bnLayer("conv1_bn", b))
            case let d as Dense: out.append(KerasLayer(name: "predictions", weights: [KerasWeight("kernel", inOut(d.weight, flattenedFrom: nil)), KerasWeight("bias", vector(d.bias!))]))
            case let stage as Sequential where name.hasPrefix("layer"):
                let s = Int(name.dropFirst(5))! + 1
                for (b, block) in stage.layers.enumerated() {
                    guard let r = block as? Residual else { continue }
                    out += try blockLayers(r, prefix: "conv\(s)_block\(b + 1)_")
                }
            default: continue
            }
        }
        return out
    }

    private static func blockLayers(_ r: Residual, prefix: String) throws -> [KerasLayer] {
        let convs = r.body.layers.compactMap { $0 as? Conv2D }, bns = r.body.layers.compactMap { $0 as? BatchNorm }
        guard convs.count == 3, bns.count == 3 else {
            throw ExportError("model resnet50-keras: block \(prefix.dropLast()) has \(convs.count) convolutions, a bottleneck has 3")
        }
        let body = (0..<3).map { k in (convLayer("\(prefix)\(k + 1)_conv", convs[k]), bnLayer("\(prefix)\(k + 1)_bn", bns[k])) }
        guard let shortcut = r.shortcut, let c = shortcut.layers.first as? Conv2D, let b = shortcut.layers.last as? BatchNorm else {
            return body.flatMap { [$0.0, $0.1] }
        }
        return [body[0].0, body[0].1, body[1].0, body[1].1, convLayer("\(prefix)0_conv", c), body[2].0, bnLayer("\(prefix)0_bn", b), body[2].1]
    }

    private static func convLayer(_ name: String, _ c: Conv2D) -> KerasLayer {
        KerasLayer(name: name, weights: [KerasWeight("kernel", hwio(c.weight))] + (c.bias.map { [KerasWeight("bias", vector($0))] } ?? []))
    }

    private static func bnLayer(_ name: String, _ b: BatchNorm) -> KerasLayer {
        KerasLayer(name: name, weights: [KerasWeight("gamma", vector(b.weight)), KerasWeight("beta", vector(b.bias)),
                                         KerasWeight("moving_mean", (b.runningMean.value.shape, b.runningMean.value.toArray())),
                                         KerasWeight("moving_variance", (b.runningVar.value.shape, b.runningVar.value.toArray()))])
    }

    private static func vector(_ p: Parameter) -> (shape: [Int], values: [Float]) { (p.shape, p.value.toArray()) }

    /// [out, in, kh, kw] → [kh, kw, in, out].
    private static func hwio(_ p: Parameter) -> (shape: [Int], values: [Float]) {
        ([p.shape[2], p.shape[3], p.shape[1], p.shape[0]], KerasLayout.convKernel(p.value.toArray(), oihw: p.shape, toKeras: true))
    }

    /// [out, in] → [in, out]; after a flatten of [C, H, W], rows move from (c, h, w) to Keras's (h, w, c).
    private static func inOut(_ p: Parameter, flattenedFrom flat: [Int]?) -> (shape: [Int], values: [Float]) {
        let (m, n) = (p.shape[0], p.shape[1])
        return ([n, m], KerasLayout.denseKernel(p.value.toArray(), outputs: m, inputs: n, flattenedFrom: flat, toKeras: true))
    }
}
