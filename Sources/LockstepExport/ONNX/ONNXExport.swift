import Foundation
import LockstepHDF5
import LockstepNN

/// A `Model` as an ONNX model file (opset 17): one input `input` [batch] + the model's input
/// shape, one output `output`, the batch dimension dynamic, the weights as initializers under
/// the model's parameter names, and `metadata` (what the input must be) as metadata_props.
public enum ONNXExport {
    /// The operator set every node belongs to (LayerNormalization needs 17).
    public static let opset = 17

    /// The serialized ModelProto.
    public static func serialize(_ model: Model, name: String, metadata: [String: String]) throws -> Data {
        let graph = ONNXGraph()
        let input = graph.fresh("input")
        let lowered = try ONNXLowering(graph: graph).lower(model.root, ONNXValue(name: input, shape: model.inputShape), path: "")
        let output = graph.node("Identity", [lowered.name], name: "output")[0]
        var g = Onnx_GraphProto()
        g.name = name
        g.node = graph.nodes
        g.initializer = graph.initializers
        g.input = [valueInfo(input, shape: model.inputShape)]
        g.output = [valueInfo(output, shape: lowered.shape)]
        var m = Onnx_ModelProto()
        m.irVersion = 8
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = Int64(opset)
        m.opsetImport = [opsetID]
        m.producerName = "lockstep"
        m.graph = g
        m.metadataProps = metadata.sorted { $0.key < $1.key }.map { key, value in
            var e = Onnx_StringStringEntryProto()
            e.key = key
            e.value = value
            return e
        }
        return try m.serializedData()
    }

    /// Writes the model to `path` atomically (a temporary beside it, then rename).
    public static func write(_ model: Model, to path: String, name: String, metadata: [String: String]) throws {
        try AtomicFile.write(Array(try serialize(model, name: name, metadata: metadata)), to: path)
    }

    /// A float32 tensor [batch, shape…], the batch dimension named and free.
    private static func valueInfo(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.shape.dim = [batch] + shape.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(d)
            return dim
        }
        var type = Onnx_TypeProto()
        type.tensorType = t
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = type
        return v
    }
}
