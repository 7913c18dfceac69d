import LockstepNN
import LockstepTensor

/// LSTM, GRU and RNN stacks as ONNX's LSTM, GRU and RNN operators, one per layer.
///
/// ONNX reads [T, N, F] and orders gates otherwise than PyTorch (whose order Lockstep keeps):
/// LSTM i f g o → i o f c, GRU r z n → z r h (with `linear_before_reset`, PyTorch's GRU). Each
/// layer's output Y [T, D, N, H] becomes the next layer's [T, N, D·H]; the top layer gives the
/// sequence [N, T, D·H] or its last states Y_h [D, N, H] as [N, D·H], forward first.
extension ONNXLowering {
    func recurrent(_ r: RecurrentLayer, _ x: ONNXValue, path: String) throws -> ONNXValue {
        let (op, order): (String, [Int]) = switch r {
        case is LSTM: ("LSTM", [0, 3, 1, 2])
        case is GRU: ("GRU", [1, 0, 2])
        default: ("RNN", [0])
        }
        let h = r.hiddenSize, directions = r.bidirectional ? 2 : 1
        var sequence = graph.apply("Transpose", [x.name], name: path + "/time_major", [.ints("perm", [1, 0, 2])])
        var lastStates = ""
        for l in 0..<r.layerCount {
            let suffixes = ["l\(l)"] + (r.bidirectional ? ["l\(l)_reverse"] : [])
            func stacked(_ role: String) throws -> [Float] {
                try suffixes.flatMap { suffix -> [Float] in
                    guard let p = r.parameters.first(where: { $0.name.hasSuffix(role + "_" + suffix) }) else {
                        throw ExportError("layer \(path) (\(r.kind)): no parameter \(role)_\(suffix)")
                    }
                    return reordered(p.value.toArray(), blocks: order)
                }
            }
            let inputSize = l == 0 ? x.shape[1] : directions * h, gates = order.count * h
            let w = graph.constant("\(path).W_l\(l)", shape: [directions, gates, inputSize], try stacked("weight_ih"))
            let rr = graph.constant("\(path).R_l\(l)", shape: [directions, gates, h], try stacked("weight_hh"))
            let (bih, bhh) = (try stacked("bias_ih"), try stacked("bias_hh"))
            var biases: [Float] = []
            for d in 0..<directions {
                biases += bih[(d * gates)..<((d + 1) * gates)]
                biases += bhh[(d * gates)..<((d + 1) * gates)]
            }
            let b = graph.constant("\(path).B_l\(l)", shape: [directions, 2 * gates], biases)
            var attributes: [Onnx_AttributeProto] = [.int("hidden_size", h), .string("direction", r.bidirectional ? "bidirectional" : "forward")]
            if op == "GRU" { attributes.append(.int("linear_before_reset", 1)) }
            if let rnn = r as? RNN { attributes.append(.strings("activations", Array(repeating: rnn.relu ? "Relu" : "Tanh", count: directions))) }
            let outputs = graph.node(op, [sequence, w, rr, b], name: "\(path).l\(l)", outputs: 2, attributes)
            let joined = graph.apply("Transpose", [outputs[0]], name: "\(path).l\(l)/joined", [.ints("perm", [0, 2, 1, 3])])
            sequence = graph.apply("Reshape", [joined, graph.int64s("\(path).l\(l).shape", [0, 0, -1])], name: "\(path).l\(l)/sequence")
            lastStates = outputs[1]
        }
        let width = directions * h
        if r.returnSequences {
            let y = graph.apply("Transpose", [sequence], name: path, [.ints("perm", [1, 0, 2])])
            return ONNXValue(name: y, shape: [x.shape[0], width])
        }
        let batchFirst = graph.apply("Transpose", [lastStates], name: path + "/states", [.ints("perm", [1, 0, 2])])
        let y = graph.apply("Reshape", [batchFirst, graph.int64s(path + ".states_shape", [0, -1])], name: path)
        return ONNXValue(name: y, shape: [width])
    }

    /// Rows of `values` ([G·H, …] or [G·H]) regrouped: gate block i of the result is block `blocks[i]`.
    private func reordered(_ values: [Float], blocks: [Int]) -> [Float] {
        let per = values.count / blocks.count
        return blocks.flatMap { values[($0 * per)..<(($0 + 1) * per)] }
    }
}
