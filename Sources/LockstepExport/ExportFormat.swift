import LockstepNN

/// The file formats a model can leave Lockstep in.
public enum ExportFormat: String, CaseIterable, Sendable {
    /// An ONNX model (graph and weights), for ONNX Runtime and every runtime that reads ONNX.
    case onnx
    /// The state dict as safetensors, for PyTorch (`load_state_dict`).
    case safetensors
    /// Keras `save_weights` HDF5, for keras.applications' VGG16 and ResNet50.
    case keras

    /// Writes `model` (built as the zoo's `architecture`) to `path` in this format, atomically:
    /// a failed export leaves no file behind. `metadata` says what the input must be (ONNX
    /// metadata_props, safetensors `__metadata__`); `batchesTracked` fills BatchNorm's counters.
    public func write(_ model: Model, architecture: String, to path: String, metadata: [String: String], batchesTracked: Int = 0) throws {
        switch self {
        case .onnx: try ONNXExport.write(model, to: path, name: architecture, metadata: metadata)
        case .safetensors: try SafeTensorsExport.write(model, to: path, batchesTracked: batchesTracked, metadata: metadata)
        case .keras: try KerasExport.write(model, architecture: architecture, to: path)
        }
    }
}
