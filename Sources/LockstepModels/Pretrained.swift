import Foundation
import LockstepHDF5
import LockstepNN

/// Loads pretrained weights of any supported format into a model: Keras `.h5`
/// (keras.applications naming), `.safetensors` (torchvision/timm names) or Lockstep's own
/// weight and checkpoint files. Convert a PyTorch `.pth` state dict once with
/// `python3 -c "import torch, safetensors.torch as s; s.save_file(torch.load('m.pth'), 'm.safetensors')"`.
public enum Pretrained {
    /// How a weights file is read; `auto` tells by the file (suffix, then HDF5 contents).
    public enum Format: String, CaseIterable, Sendable {
        case auto, keras, safetensors, lockstep
    }

    /// Copies the file's tensors into `model`; names for which `excluding` holds (a replaced
    /// head) are left as they are. Every other tensor must match by name and shape.
    public static func load(_ path: String, format: Format = .auto, into model: Model,
                            excluding: @escaping (String) -> Bool = { _ in false }) throws {
        try ReadGuard.whileReading(path) { try read(path, format: format, into: model, excluding: excluding) }
    }

    private static func read(_ path: String, format: Format, into model: Model, excluding: @escaping (String) -> Bool) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ImportError("\(path): no such file") }
        let resolved = try detect(path, format)
        let tensors: [NamedTensor]
        switch resolved {
        case .safetensors:
            let contents = try SafeTensors.read(path)
            let timm = contents.tensors.contains { $0.name.hasPrefix("head.fc.") || $0.name.hasPrefix("pre_logits.") }
            tensors = timm ? contents.tensors.map(timmToTorchvision) : contents.tensors
        case .keras: tensors = try KerasImport.stateDict(try KerasWeights.read(path), for: model, source: path)
        case .lockstep, .auto: tensors = try ModelWeights.read(path)
        }
        try ModelWeights.apply(tensors, to: model, source: path, excluding: excluding)
    }

    private static func detect(_ path: String, _ format: Format) throws -> Format {
        guard format == .auto else { return format }
        if path.hasSuffix(".safetensors") { return .safetensors }
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch {
            throw ImportError("\(path): not a pretrained-weights file Lockstep reads (.h5 from Keras or Lockstep, .safetensors): \(error)")
        }
        if KerasWeights.isKeras(file) { return .keras }
        if file.exists("model") { return .lockstep }
        throw ImportError("\(path): HDF5 file with neither Keras layer_names nor a /model group: unknown weights format")
    }

    /// timm's VGG names its classifier `pre_logits.fc1/fc2` and `head.fc`; torchvision's are
    /// `classifier.0/3/6`. timm's fc1/fc2 are 7×7 and 1×1 convolutions ([out, in, kh, kw]),
    /// which over a 7×7 map equal torchvision's dense layers on the (c, h, w) flatten: same
    /// values, shape [out, in·kh·kw].
    private static func timmToTorchvision(_ t: NamedTensor) -> NamedTensor {
        var name = t.name, shape = t.shape
        for (a, b) in [("pre_logits.fc1.", "classifier.0."), ("pre_logits.fc2.", "classifier.3."), ("head.fc.", "classifier.6.")]
        where name.hasPrefix(a) {
            name = b + name.dropFirst(a.count)
            if shape.count == 4 { shape = [shape[0], shape.dropFirst().reduce(1, *)] }
        }
        return NamedTensor(name: name, shape: shape, values: t.values)
    }
}
