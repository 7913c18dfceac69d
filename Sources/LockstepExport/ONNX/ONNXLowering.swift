import LockstepNN
import LockstepTensor

/// Turns a built network into ONNX nodes, layer by layer, in inference form: BatchNorm with its
/// running statistics, dropout absent. Each layer's weights become initializers under its
/// parameter names (`features.0.weight`); a layer ONNX cannot express is an error naming it.
struct ONNXLowering {
    let graph: ONNXGraph

    /// Lowers `layer` (at dotted `path` in the model) applied to `x`; returns its output.
    func lower(_ layer: any Layer, _ x: ONNXValue, path: String) throws -> ONNXValue {
        switch layer {
        case let s as Sequential: return try lowerSequential(s, x, path: path)
        case let r as Residual: return try lowerResidual(r, x, path: path)
        case let t as TransformerEncoderLayer:
            return try t.residualBlocks.reduce(x) { v, block in try lower(block, v, path: path) }
        case is Dropout: return x
        case let d as Dense: return dense(d, x, path: path)
        case let c as Conv2D: return conv(c, x, path: path)
        case let c as ConvTranspose2D: return convTranspose(c, x, path: path)
        case let b as BatchNorm: return try batchNorm(b, x, path: path)
        case let p as MaxPool2D: return pool("MaxPool", kernel: p.kernel, stride: p.stride, padding: p.padding, x, path: path)
        case let p as AvgPool2D: return pool("AveragePool", kernel: p.kernel, stride: p.stride, padding: p.padding, x, path: path)
        case let p as AdaptiveAvgPool2D: return adaptivePool(p, x, path: path)
        case let u as Upsample: return upsample(u, x, path: path)
        case is Flatten:
            return ONNXValue(name: graph.apply("Flatten", [x.name], name: path, [.int("axis", 1)]), shape: [x.shape.reduce(1, *)])
        case let r as Reshape: return reshape(x, to: r.shape, path: path)
        case is ImageRows: return imageRows(x, path: path)
        case let n as LayerNorm: return layerNorm(n, x, path: path)
        case let e as Embedding: return embedding(e, x, path: path)
        case let c as ClassToken: return classToken(c, x, path: path)
        case let p as PositionalEncoding: return positional(p, x, path: path)
        case let p as SequencePool: return sequencePool(p, x, path: path)
        case let a as MultiHeadAttention: return attention(a, x, path: path)
        case let r as RecurrentLayer: return try recurrent(r, x, path: path)
        case let p as PReLU: return prelu(p, x, path: path)
        case is Softmax: return ONNXValue(name: graph.apply("Softmax", [x.name], name: path, [.int("axis", -1)]), shape: x.shape)
        default:
            if let y = try activation(layer, x, path: path) { return y }
            throw ExportError.unsupported(layer.kind, at: path, in: "ONNX", "Lockstep has no ONNX form for this layer")
        }
    }

    private func lowerSequential(_ s: Sequential, _ x: ONNXValue, path: String) throws -> ONNXValue {
        var v = x
        for (name, child) in zip(s.names, s.layers) {
            v = try lower(child, v, path: path.isEmpty ? name : path + "." + name)
        }
        return v
    }

    /// body(x) + (shortcut(x) or x), then `post`.
    private func lowerResidual(_ r: Residual, _ x: ONNXValue, path: String) throws -> ONNXValue {
        let a = try lower(r.body, x, path: path)
        let b = try r.shortcut.map { try lower($0, x, path: path.isEmpty ? "downsample" : path + ".downsample") } ?? x
        let sum = ONNXValue(name: graph.apply("Add", [a.name, b.name], name: path + "/add"), shape: a.shape)
        return try r.post.map { try lower($0, sum, path: path) } ?? sum
    }

    /// `x` reshaped per sample to `shape` (the batch dimension kept).
    func reshape(_ x: ONNXValue, to shape: [Int], path: String) -> ONNXValue {
        let target = graph.int64s(path + "/shape", [-1] + shape)
        return ONNXValue(name: graph.apply("Reshape", [x.name, target], name: path), shape: shape)
    }

    /// A parameter as an initializer under its dotted name.
    func weight(_ p: Parameter) -> String {
        graph.constant(p.name, shape: p.shape, p.value.toArray())
    }

    /// A buffer (BatchNorm's running statistics) as an initializer under its dotted name.
    func weight(_ b: Buffer) -> String {
        graph.constant(b.name, shape: b.value.shape, b.value.toArray())
    }
}
