import ArgumentParser
import Foundation
import LockstepData
import LockstepExport
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepRecipe

/// `lockstep export RECIPE --weights FILE --format onnx|safetensors|keras --out FILE`.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model with its weights as ONNX, safetensors (PyTorch) or Keras .h5, for other runtimes.",
        discussion: """
            The recipe's model is built for the recipe's data (its training manifest gives the input \
            shape and the classes), or for --input-shape and --classes when the recipe's data is not \
            at hand, and takes the weights of any file `pretrained:` reads: a run's model.h5, a \
            checkpoint, a .safetensors, a Keras .h5. ONNX: the inference graph (BatchNorm with its \
            running statistics, no dropout), batch dimension dynamic, opset 17; what the input must \
            be (preprocessing, input shape, class names) is in the model's metadata. safetensors: the \
            state dict with torchvision's names for VGG and ResNet. keras: save_weights layout for \
            vgg16 and resnet50-keras. The file is written beside its final name and renamed into \
            place, so a failed export leaves nothing behind.

            Examples:
              lockstep export examples/fashion-mnist-lenet.yaml --weights runs/fashion-mnist-lenet/model.h5 --format onnx --out lenet.onnx
              lockstep export resnet.yaml --weights model.h5 --format safetensors --out resnet18.safetensors
              lockstep export vgg.yaml --weights vgg16.h5 --format onnx --out vgg16.onnx --input-shape 3x224x224 --classes 1000
            """)

    @Argument(help: "The recipe the weights belong to (its model: section; its data: for the input shape and classes).")
    var recipe: String

    @Option(help: "Weights: RUN/model.h5, a checkpoint, a .safetensors or a Keras .h5.")
    var weights: String

    @Option(help: "onnx, safetensors or keras.")
    var format: String

    @Option(name: .customLong("out"), help: "The file to write.")
    var output: String

    @Option(name: .customLong("input-shape"), help: ArgumentHelp("Per-sample input shape when the recipe's data is not at hand.", valueName: "CxHxW|TxF"))
    var inputShape: String?

    @Option(help: "Number of outputs (classes) when the recipe's data is not at hand.")
    var classes: Int?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func validate() throws {
        guard ExportFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")), got \(format)")
        }
        if let inputShape {
            guard let sizes = Self.shape(inputShape) else {
                throw ValidationError("--input-shape must be positive sizes joined by x (3x224x224, 28x28), got \(inputShape)")
            }
            if sizes.count == 3, sizes[2] <= 4, sizes[0] > 4 {
                throw ValidationError("--input-shape \(inputShape) looks like height x width x channels (a manifest's sample_shape); the model takes channels first: \(sizes[2])x\(sizes[0])x\(sizes[1])")
            }
        }
        if let classes, classes < 1 { throw ValidationError("--classes must be at least 1, got \(classes)") }
    }

    static func shape(_ text: String) -> [Int]? {
        let sizes = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return sizes.map { $0! }
    }

    func run() throws {
        do {
            let recipe = try Recipe.load(self.recipe, overrides: overrides)
            let (model, classNames) = try build(recipe)
            try ReadDeadline.within(ReadDeadline.seconds(forFile: weights), reading: weights, label: "lockstep export") {
                try Pretrained.load(weights, into: model)
            }
            try Self.checkWritable(output)
            let start = Date()
            let format = ExportFormat(rawValue: self.format)!
            try format.write(model, architecture: recipe.model.name, to: output,
                             metadata: metadata(recipe, model: model, classNames: classNames), batchesTracked: trainingSteps())
            let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            print(String(format: "exported %@ (%@, input %@) as %@ to %@: %.1f MB in %.1f s", recipe.model.name,
                         "\(model.parameters.reduce(0) { $0 + $1.count }) parameters", model.inputShape.map(String.init).joined(separator: "×"),
                         format.rawValue, output, Double(size) / 1e6, Date().timeIntervalSince(start)))
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("lockstep export: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// An output whose folder is missing or which is a folder is named before any work.
    static func checkWritable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ExportError("--out \(path) is a folder; give a file name in it")
        }
        let folder = (path as NSString).deletingLastPathComponent
        guard folder.isEmpty || (FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue) else {
            throw ExportError("--out \(path): the folder \(folder) does not exist")
        }
    }

    /// The recipe's model for its data, or for --input-shape and --classes.
    private func build(_ recipe: Recipe) throws -> (Model, [String]) {
        if let inputShape = inputShape.flatMap(Self.shape) {
            let manifest = FileManager.default.fileExists(atPath: recipe.data.train) ? try? ShardManifest.load(recipe.data.train) : nil
            guard let count = classes ?? manifest?.numClasses else {
                throw ExportError("give --classes N with --input-shape: the recipe's data.train \(recipe.data.train) is not at hand to count them")
            }
            let names = (0..<count).map { manifest?.className($0) ?? String($0) }
            return (try ModelZoo.build(recipe.model, inputShape: inputShape, classes: count), names)
        }
        guard FileManager.default.fileExists(atPath: recipe.data.train) else {
            throw ExportError("the recipe's data.train \(recipe.data.train) is not at hand to give the input shape and classes: give --input-shape (e.g. 3x224x224) and --classes")
        }
        let manifest = try ShardManifest.load(recipe.data.train)
        let (model, names) = try recipe.modelAndClasses(trainedOn: manifest)
        if let classes, classes != names.count {
            throw ExportError("--classes \(classes) contradicts \(recipe.data.train), which has \(names.count) classes")
        }
        return (model, names)
    }

    /// The training steps a Lockstep weights file records (0 for other files).
    private func trainingSteps() -> Int {
        guard let f = try? HDF5File.open(weights), let step = try? f.stringAttribute("step") else { return 0 }
        return Int(step) ?? 0
    }

    /// What the input must be, for the runtime that reads the file.
    private func metadata(_ recipe: Recipe, model: Model, classNames: [String]) -> [String: String] {
        let n = recipe.data.normalization, t = recipe.data.transform
        let floats = { (v: [Float]) in "[" + v.map { String($0) }.joined(separator: ", ") + "]" }
        var m: [String: String] = [
            "lockstep.model": recipe.model.name,
            "lockstep.recipe": recipe.name,
            "input.shape": model.inputShape.map(String.init).joined(separator: "x"),
            "input.layout": model.inputShape.count == 3 ? "NCHW float32" : "N×" + model.inputShape.map(String.init).joined(separator: "×") + " float32",
            "output.shape": model.outputShape.map(String.init).joined(separator: "x"),
            "output": recipe.usesClassTargets ? "logits (softmax gives the class probabilities)" : "the model's output as trained (e.g. a reconstruction)",
            "class_names": classNames.joined(separator: "\n"),
            "preprocess": "x = (stored value × s − mean) / std per channel, with s = \(n.scale.map { String($0) } ?? "1/255 for 8-bit images, 1 for float32 samples"), mean = \(floats(n.mean)), std = \(floats(n.std))"
                + (t.isIdentity ? "" : "; then" + (t.channels.map { " channels to \($0)," } ?? "") + (t.resize.map { " resize to \($0.0)x\($0.1)," } ?? "")
                    + (t.crop.map { " centre crop \($0.0)x\($0.1)," } ?? "") + (t.reverseChannels ? " RGB to BGR," : "")
                    + " x = (x − \(floats(t.mean))) / \(floats(t.std)) per channel"),
            "preprocess.scale": n.scale.map { String($0) } ?? "auto",
            "preprocess.mean": floats(n.mean),
            "preprocess.std": floats(n.std),
        ]
        if let vocabulary = recipe.model.transformer.vocabulary, recipe.model.name == "transformer" {
            m["input.layout"] = "N×\(model.inputShape[0]) float32 token ids in 0..<\(vocabulary)"
            m["preprocess"] = "none: token ids as they are stored (as float32)"
        }
        if !t.isIdentity {
            m["preprocess.transform.mean"] = floats(t.mean)
            m["preprocess.transform.std"] = floats(t.std)
            m["preprocess.transform.reverse_channels"] = String(t.reverseChannels)
        }
        return m
    }
}
