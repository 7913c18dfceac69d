import LockstepNN

/// Dense layers and element-wise activations.
extension ONNXLowering {
    /// y = x·Wᵀ + b: Gemm on [N, F]; MatMul over the last axis of a sequence [N, T, F].
    func dense(_ d: Dense, _ x: ONNXValue, path: String) -> ONNXValue {
        let shape = Array(x.shape.dropLast()) + [d.outputSize]
        let w = weight(d.weight)
        if x.shape.count == 1 {
            let inputs = [x.name, w] + (d.bias.map { [weight($0)] } ?? [])
            return ONNXValue(name: graph.apply("Gemm", inputs, name: path, [.int("transB", 1)]), shape: shape)
        }
        let transposed = graph.apply("Transpose", [w], name: path + "/weight_t", [.ints("perm", [1, 0])])
        var y = graph.apply("MatMul", [x.name, transposed], name: d.bias == nil ? path : path + "/matmul")
        if let b = d.bias { y = graph.apply("Add", [y, weight(b)], name: path) }
        return ONNXValue(name: y, shape: shape)
    }

    /// PReLU's slope: one, or one per channel (axis 1), broadcast over the rest.
    func prelu(_ p: PReLU, _ x: ONNXValue, path: String) -> ONNXValue {
        let slopes = p.weight.value.toArray()
        let shape = slopes.count == 1 ? [1] : [slopes.count] + Array(repeating: 1, count: max(x.shape.count - 1, 0))
        let slope = graph.constant(p.weight.name, shape: shape, slopes)
        return ONNXValue(name: graph.apply("PRelu", [x.name, slope], name: path), shape: x.shape)
    }

    /// An `Activation` layer as its ONNX operator(s); nil for other layers.
    func activation(_ layer: any Layer, _ x: ONNXValue, path: String) throws -> ONNXValue? {
        let op: String
        var attributes: [Onnx_AttributeProto] = []
        switch layer {
        case is Activation<IdentityFunction>: return x
        case is Activation<ReLUFunction>: op = "Relu"
        case is Activation<SigmoidFunction>: op = "Sigmoid"
        case is Activation<TanhFunction>: op = "Tanh"
        case let a as Activation<LeakyReLUFunction>: op = "LeakyRelu"; attributes = [.float("alpha", a.function.slope)]
        case let a as Activation<ELUFunction>: op = "Elu"; attributes = [.float("alpha", a.function.alpha)]
        case is Activation<GELUFunction>: return gelu(x, path: path)
        case is Activation<SwishFunction>:
            let s = graph.apply("Sigmoid", [x.name], name: path + "/sigmoid")
            return ONNXValue(name: graph.apply("Mul", [x.name, s], name: path), shape: x.shape)
        default: return nil
        }
        return ONNXValue(name: graph.apply(op, [x.name], name: path, attributes), shape: x.shape)
    }

    /// The exact GELU, ½x(1 + erf(x/√2)), from opset-17 operators.
    private func gelu(_ x: ONNXValue, path: String) -> ONNXValue {
        let scaled = graph.apply("Mul", [x.name, graph.constant(path + ".inv_sqrt2", shape: [], [0.70710678])], name: path + "/scaled")
        let erf = graph.apply("Erf", [scaled], name: path + "/erf")
        let plusOne = graph.apply("Add", [erf, graph.constant(path + ".one", shape: [], [1])], name: path + "/plus_one")
        let half = graph.apply("Mul", [x.name, graph.constant(path + ".half", shape: [], [0.5])], name: path + "/half")
        return ONNXValue(name: graph.apply("Mul", [half, plusOne], name: path), shape: x.shape)
    }
}
