import LockstepNN
import LockstepTensor

/// Sequence layers: images read as rows, embeddings, [CLS] tokens, positional codes, LayerNorm,
/// pooling over time and multi-head self-attention. Sequences are [N, T, D].
extension ONNXLowering {
    /// [C, H, W] → [H, C·W]: row r is the concatenation of every channel's row r.
    func imageRows(_ x: ONNXValue, path: String) -> ONNXValue {
        let (c, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let t = graph.apply("Transpose", [x.name], name: path + "/rows", [.ints("perm", [0, 2, 1, 3])])
        return reshape(ONNXValue(name: t, shape: [h, c, w]), to: [h, c * w], path: path)
    }

    func layerNorm(_ n: LayerNorm, _ x: ONNXValue, path: String) -> ONNXValue {
        let y = graph.apply("LayerNormalization", [x.name, weight(n.weight), weight(n.bias)], name: path,
                            [.int("axis", -1), .float("epsilon", n.epsilon)])
        return ONNXValue(name: y, shape: x.shape)
    }

    /// Token ids arrive as floats (Lockstep's inputs are float32): cast, then look up.
    func embedding(_ e: Embedding, _ x: ONNXValue, path: String) -> ONNXValue {
        let ids = graph.apply("Cast", [x.name], name: path + "/ids", [.int("to", Int(Onnx_TensorProto.DataType.int64.rawValue))])
        return ONNXValue(name: graph.apply("Gather", [weight(e.weight), ids], name: path, [.int("axis", 0)]), shape: x.shape + [e.dimension])
    }

    /// The learned token [1, 1, D] expanded to the batch, in front of every sequence.
    func classToken(_ c: ClassToken, _ x: ONNXValue, path: String) -> ONNXValue {
        let d = x.shape[1]
        let batch = graph.apply("Shape", [x.name], name: path + "/batch", [.int("start", 0), .int("end", 1)])
        let shape = graph.apply("Concat", [batch, graph.int64s(path + ".token_shape", [1, d])], name: path + "/shape", [.int("axis", 0)])
        let tokens = graph.apply("Expand", [weight(c.weight), shape], name: path + "/tokens")
        return ONNXValue(name: graph.apply("Concat", [tokens, x.name], name: path, [.int("axis", 1)]), shape: [x.shape[0] + 1, d])
    }

    /// x + P, P the learned weight or the sinusoidal table, [T, D].
    func positional(_ p: PositionalEncoding, _ x: ONNXValue, path: String) -> ONNXValue {
        let codes = p.weight.map(weight) ?? graph.constant(path + ".table", shape: x.shape, p.table)
        return ONNXValue(name: graph.apply("Add", [x.name, codes], name: path), shape: x.shape)
    }

    func sequencePool(_ p: SequencePool, _ x: ONNXValue, path: String) -> ONNXValue {
        let y = switch p.mode {
        case .first: graph.apply("Gather", [x.name, graph.int64s(path + ".first", [0], scalar: true)], name: path, [.int("axis", 1)])
        case .mean: graph.apply("ReduceMean", [x.name], name: path, [.ints("axes", [1]), .int("keepdims", 0)])
        }
        return ONNXValue(name: y, shape: [x.shape[1]])
    }

    /// softmax(Q·Kᵀ/√d_k + mask)·V per head, then the output projection; the causal mask hides
    /// later positions with −∞.
    func attention(_ a: MultiHeadAttention, _ x: ONNXValue, path: String) -> ONNXValue {
        let (steps, d) = (x.shape[0], x.shape[1]), heads = a.heads, dk = d / heads
        let win = graph.apply("Transpose", [weight(a.inProjWeight)], name: path + "/in_proj_t", [.ints("perm", [1, 0])])
        let projected = graph.apply("MatMul", [x.name, win], name: path + "/in_proj")
        let qkv = graph.apply("Add", [projected, weight(a.inProjBias)], name: path + "/qkv")
        let parts = graph.node("Split", [qkv], name: path + "/split", outputs: 3, [.int("axis", 2)])
        let perHead = graph.int64s(path + ".heads_shape", [0, 0, heads, dk])
        func split(_ v: String, _ role: String, _ perm: [Int]) -> String {
            let r = graph.apply("Reshape", [v, perHead], name: path + "/" + role + "_heads")
            return graph.apply("Transpose", [r], name: path + "/" + role, [.ints("perm", perm)])
        }
        let (q, k, v) = (split(parts[0], "q", [0, 2, 1, 3]), split(parts[1], "k", [0, 2, 3, 1]), split(parts[2], "v", [0, 2, 1, 3]))
        let products = graph.apply("MatMul", [q, k], name: path + "/scores")
        let scale = graph.constant(path + ".scale", shape: [], [1 / Float(dk).squareRoot()])
        var scores = graph.apply("Mul", [products, scale], name: path + "/scaled")
        if a.causal {
            var mask = [Float](repeating: 0, count: steps * steps)
            for i in 0..<steps { for j in (i + 1)..<max(i + 1, steps) { mask[i * steps + j] = -.infinity } }
            scores = graph.apply("Add", [scores, graph.constant(path + ".causal_mask", shape: [steps, steps], mask)], name: path + "/masked")
        }
        let weights = graph.apply("Softmax", [scores], name: path + "/weights", [.int("axis", -1)])
        let context = graph.apply("MatMul", [weights, v], name: path + "/context")
        let joined = graph.apply("Transpose", [context], name: path + "/context_t", [.ints("perm", [0, 2, 1, 3])])
        let merged = graph.apply("Reshape", [joined, graph.int64s(path + ".merged_shape", [0, 0, d])], name: path + "/merged")
        return dense(a.outProjection, ONNXValue(name: merged, shape: x.shape), path: path + ".out_proj")
    }
}
