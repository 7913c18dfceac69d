import Foundation

/// An ONNX graph under construction: nodes in execution order, initializers (the weights, under
/// the model's own parameter names) and fresh value names.
final class ONNXGraph {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private var used: Set<String> = []

    /// A value name not used before, built from `hint` (a layer's path).
    func fresh(_ hint: String) -> String {
        let base = hint.isEmpty ? "value" : hint
        var name = base, k = 1
        while used.contains(name) { name = "\(base)_\(k)"; k += 1 }
        used.insert(name)
        return name
    }

    /// A float32 initializer; `name` is kept as it is when free (parameter names are unique).
    @discardableResult
    func constant(_ name: String, shape: [Int], _ values: [Float]) -> String {
        precondition(shape.reduce(1, *) == values.count, "initializer \(name): \(values.count) values for shape \(shape)")
        var t = Onnx_TensorProto()
        t.name = fresh(name)
        t.dims = shape.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian, as ONNX's raw_data
        initializers.append(t)
        return t.name
    }

    /// An int64 initializer (shapes, axes, indices); `scalar` gives it rank 0.
    func int64s(_ name: String, _ values: [Int], scalar: Bool = false) -> String {
        var t = Onnx_TensorProto()
        t.name = fresh(name)
        t.dims = scalar ? [] : [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.int64Data = values.map(Int64.init)
        initializers.append(t)
        return t.name
    }

    /// Appends a node of `op` and returns its outputs' names (`outputs` of them, fresh, from `name`).
    @discardableResult
    func node(_ op: String, _ inputs: [String], name: String, outputs: Int = 1, _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = fresh(name + "/" + op)
        n.input = inputs
        n.output = (0..<outputs).map { fresh(outputs == 1 ? name : "\(name)/\(op)_\($0)") }
        n.attribute = attributes
        nodes.append(n)
        return n.output
    }

    /// The single output of a node of `op`.
    func apply(_ op: String, _ inputs: [String], name: String, _ attributes: [Onnx_AttributeProto] = []) -> String {
        node(op, inputs, name: name, attributes)[0]
    }
}

/// Attribute constructors.
extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int) -> Self {
        var a = Self()
        a.name = name
        a.type = .int
        a.i = Int64(value)
        return a
    }

    static func ints(_ name: String, _ values: [Int]) -> Self {
        var a = Self()
        a.name = name
        a.type = .ints
        a.ints = values.map(Int64.init)
        return a
    }

    static func float(_ name: String, _ value: Float) -> Self {
        var a = Self()
        a.name = name
        a.type = .float
        a.f = value
        return a
    }

    static func strings(_ name: String, _ values: [String]) -> Self {
        var a = Self()
        a.name = name
        a.type = .strings
        a.strings = values.map { Data($0.utf8) }
        return a
    }

    static func string(_ name: String, _ value: String) -> Self {
        var a = Self()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }
}
