import ArgumentParser
import Foundation
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep predict RECIPE --weights FILE (--data MANIFEST | --images PATH…) --out FILE`.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict classes with saved weights, for a sharded dataset or image files, split over the ranks.",
        discussion: """
            Every input is predicted once, whatever the number of ranks. Images are decoded, brought \
            to the training images' size (--fit) and channels, and preprocessed as the recipe says. \
            The CSV has a row per input: its index, file, true class (shards), then the top-k \
            classes with their softmax probabilities.
            """)

    @Argument(help: "The recipe the weights were trained with (its data.train gives the image size and class names).")
    var recipe: String

    @Option(help: "Weights: RUN/model.h5, a checkpoint, a .safetensors or a Keras .h5 (any file `pretrained:` reads).")
    var weights: String

    @Option(help: "A shard manifest to predict (labels known: the CSV shows them).")
    var data: String?

    @Option(parsing: .upToNextOption, help: "Image files or folders (searched recursively for .jpg, .jpeg, .png).")
    var images: [String] = []

    @Option(name: .customLong("out"), help: "The CSV of predictions.")
    var output: String = "predictions.csv"

    @Option(name: .customLong("top-k"), help: "Classes per row, most probable first.")
    var topK: Int = 3

    @Option(help: "Also write the raw outputs, [N, classes] float32 /logits (and /labels for shards), to this HDF5 file; for a model that reproduces its input (autoencoder), its only output, [N, outputs].")
    var logits: String?

    @Option(help: "Images of another aspect ratio: crop (cover, cut the centre) or pad (fit inside, black borders).")
    var fit: String = "crop"

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func validate() throws {
        guard (data == nil) != images.isEmpty else { throw ValidationError("give --data MANIFEST or --images PATH…, one of them") }
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        guard ImageFit(rawValue: fit) != nil else { throw ValidationError("--fit must be crop or pad, got \(fit)") }
    }

    func run() throws {
        let code = Runtime.distributed { comm in
            let recipe = try Recipe.load(self.recipe, overrides: overrides)
            let (model, inputs, classes) = try open(recipe, comm)
            try model.loadWeights(weights, communicator: comm, deadline: ReadDeadline.seconds(forFile: weights))
            // A model trained to reproduce its input (an autoencoder) has no classes: its outputs go to --logits only.
            let width = recipe.usesClassTargets ? classes.count : model.outputShape.reduce(1, *)
            guard recipe.usesClassTargets || logits != nil else {
                throw RecipeError("\(self.recipe): model \(recipe.model.name) outputs \(model.outputShape), not classes: give --logits FILE for its outputs")
            }
            let start = Date()
            let all = try Predictor(recipe: recipe, communicator: comm).outputs(of: model, on: inputs, classes: width)
            guard comm.rank == 0 else { return }
            if recipe.usesClassTargets { try writeCSV(all, inputs: inputs, classes: classes) }
            if let logits { try writeLogits(all, inputs: inputs, width: width, classes: classes, to: logits) }
            print(String(format: "predicted %d input(s) on %d rank(s) in %.1f s: wrote %@", inputs.count, comm.size,
                         Date().timeIntervalSince(start), ((recipe.usesClassTargets ? [output] : []) + (logits.map { [$0] } ?? [])).joined(separator: " and ")))
            guard recipe.usesClassTargets else { return }
            if case .shards(let set, _) = inputs {
                let correct = (0..<set.count).filter { i in TopK.of(all[(i * classes.count)..<((i + 1) * classes.count)], k: 1)[0].index == Int(set.label(i)) }.count
                print(String(format: "top-1 accuracy %.2f%% (%d of %d)", 100 * Double(correct) / Double(max(set.count, 1)), correct, set.count))
            }
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// The model, the inputs and the class names, on every rank.
    private func open(_ recipe: Recipe, _ comm: any Communicator) throws -> (Model, PredictionInputs, [String]) {
        if let data {
            let set = try recipe.openTestDataOnEveryRank(comm, manifest: data)
            let listing = (data.hasSuffix(".manifest.json") ? String(data.dropLast(".manifest.json".count)) : data) + ".files.txt"
            let files = (try? String(contentsOfFile: listing, encoding: .utf8)).map { $0.split(separator: "\n").map(String.init) }
            return (try recipe.buildModel(for: set), .shards(set, files: files?.count == set.manifest.numSamples ? files : nil), set.classNames)
        }
        return try comm.agreeing(on: "finding the images", partialHint: Recipe.sharedDataHint) {
            let manifest = try ShardManifest.load(recipe.data.train)
            guard manifest.sampleShape.count == 3 else {
                throw DataError("\(recipe.data.train) holds features \(manifest.sampleShape), not images: use --data")
            }
            let (model, classes) = try recipe.modelAndClasses(trainedOn: manifest)
            let paths = try ImageFiles.find(images)
            let shape = manifest.sampleShape
            return (model, .images(paths, height: shape[0], width: shape[1], channels: shape[2], fit: ImageFit(rawValue: fit)!), classes)
        }
    }

    private func writeCSV(_ all: [Float], inputs: PredictionInputs, classes: [String]) throws {
        let k = min(topK, classes.count)
        var header = ["index", "file", "true_class"]
        for i in 1...k { header += ["class_\(i)", "probability_\(i)"] }
        var lines = [header.joined(separator: ",")]
        for i in 0..<inputs.count {
            var row: [String]
            switch inputs {
            case .shards(let set, let files): row = [String(i), files?[i] ?? "", classes[Int(set.label(i))]]
            case .images(let paths, _, _, _, _): row = [String(i), paths[i], ""]
            }
            for (c, p) in TopK.of(all[(i * classes.count)..<((i + 1) * classes.count)], k: k) { row += [classes[c], String(format: "%.6f", p)] }
            lines.append(row.map(CSVText.field).joined(separator: ","))
        }
        try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: output)
    }

    private func writeLogits(_ all: [Float], inputs: PredictionInputs, width: Int, classes: [String], to path: String) throws {
        try HDF5File.writeAtomically(to: path) { f in
            try f.write("logits", all, shape: [inputs.count, width])
            try f.setAttribute("class_names", classes.joined(separator: "\n"))
            if case .shards(let set, _) = inputs { try f.write("labels", (0..<set.count).map(set.label), shape: [set.count]) }
        }
    }
}

/// Image files named on the command line: files as given, folders searched recursively for
/// .jpg/.jpeg/.png (sorted), in the order given.
enum ImageFiles {
    static func find(_ paths: [String]) throws -> [String] {
        var found: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw DataError("\(path): no such file or folder") }
            guard isDir.boolValue else { found.append(path); continue }
            let inside = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                .filter { ImageFolder.extensions.contains(($0 as NSString).pathExtension.lowercased()) && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
            found += inside.sorted().map { path + "/" + $0 }
        }
        guard !found.isEmpty else { throw DataError("\(paths.joined(separator: " ")): no .jpg, .jpeg or .png images") }
        return found
    }
}
