import ArgumentParser
import Foundation
import LockstepData
import LockstepHDF5
import LockstepModels
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep eval RECIPE --weights FILE`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate saved weights on the recipe's test set, split over the ranks.")

    @Argument(help: "The recipe the weights were trained with.")
    var recipe: String

    @Option(help: "Weights: RUN/model.h5, a checkpoint, a .safetensors or a Keras .h5 (any file `pretrained:` reads).")
    var weights: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("out"), help: "Directory for confusion.csv and per_class.csv (default: eval/ beside the weights).")
    var output: String?

    func run() throws {
        let code = Runtime.distributed { comm in
            let recipe = try Recipe.load(self.recipe, overrides: overrides)
            guard recipe.data.test != nil else { throw RecipeError("\(self.recipe): data.test is needed for eval") }
            let test = try recipe.openTestDataOnEveryRank(comm)
            let model = try recipe.buildModel(for: test)
            try model.loadWeights(weights, communicator: comm, deadline: ReadDeadline.seconds(forFile: weights))
            let result = try Evaluator(recipe: recipe, communicator: comm).evaluate(model, on: test, loss: recipe.makeLoss())
            if comm.rank == 0 {
                print(String(format: "test loss %.4f", result.loss) + (result.accuracy.map { String(format: "  test accuracy %.2f%%", 100 * $0) } ?? "")
                      + " (\(test.count) samples, \(comm.size) rank(s))")
                try report(result)
            }
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// Per-class accuracy and the confusion matrix: printed, and written as CSV.
    private func report(_ result: Evaluation) throws {
        guard let m = result.confusion else { return }
        let names = result.classNames
        let width = min(max(names.map(\.count).max() ?? 5, 5), 24)
        func name(_ c: Int) -> String {
            let n = c < names.count ? names[c] : String(c)
            return n.count > width ? String(n.prefix(width - 1)) + "…" : n.padding(toLength: width, withPad: " ", startingAt: 0)
        }
        print("per class:")
        for (c, (n, accuracy)) in zip(m.support, m.perClassAccuracy).enumerated() {
            print("  \(name(c))  " + (accuracy.map { String(format: "%6.2f%%", 100 * $0) } ?? "     –") + "  (\(n) samples)")
        }
        if m.classes <= 20 {
            print("confusion matrix (rows: true class, columns: predicted, in the order above):")
            let cell = max(String(m.counts.max() ?? 0).count, 3)
            for r in 0..<m.classes {
                print("  \(name(r))  " + (0..<m.classes).map { String(repeating: " ", count: cell - String(m[r, $0]).count) + String(m[r, $0]) }.joined(separator: " "))
            }
        }
        let dir = output ?? ((weights as NSString).deletingLastPathComponent.isEmpty ? "eval" : (weights as NSString).deletingLastPathComponent + "/eval")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try m.csv(classNames: names).write(toFile: dir + "/confusion.csv", atomically: true, encoding: .utf8)
        try m.perClassCSV(classNames: names).write(toFile: dir + "/per_class.csv", atomically: true, encoding: .utf8)
        print("wrote \(dir)/confusion.csv, \(dir)/per_class.csv")
    }
}
