import LockstepModels
import LockstepNN

/// A `Model`'s state dict as safetensors: every parameter and buffer under its name (the zoo's
/// names are torchvision's for VGG and ResNet, PyTorch modules' for the others), float32 in
/// PyTorch's layouts, and an int64 `num_batches_tracked` beside each BatchNorm's statistics,
/// so `torchvision.models.resnet18().load_state_dict(load_file(f), strict=True)` takes it.
public enum SafeTensorsExport {
    /// Writes `model`'s state to `path` atomically; `batchesTracked` is the value of every
    /// BatchNorm's counter (the training steps, when the weights file says).
    public static func write(_ model: Model, to path: String, batchesTracked: Int, metadata: [String: String]) throws {
        let tensors = ModelWeights.state(of: model).map { NamedTensor(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.toArray()) }
        let counters = counterNames(of: model).map { (name: $0, value: Int64(batchesTracked)) }
        try SafeTensors.write(tensors, counters: counters, to: path, metadata: metadata.merging(["format": "pt"]) { a, _ in a })
    }

    /// What the file holds: each tensor's name, shape and dtype (F32, or I64 for the counters).
    public static func entries(of model: Model) -> [(name: String, shape: [Int], dtype: String)] {
        ModelWeights.state(of: model).map { ($0.name, $0.tensor.shape, "F32") } + counterNames(of: model).map { ($0, [], "I64") }
    }

    /// `X.num_batches_tracked` for every BatchNorm `X` (the owner of `X.running_var`).
    private static func counterNames(of model: Model) -> [String] {
        model.buffers.map(\.name).filter { $0.hasSuffix("running_var") }.map { String($0.dropLast("running_var".count)) + "num_batches_tracked" }
    }
}
