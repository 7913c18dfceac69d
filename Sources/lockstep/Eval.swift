import ArgumentParser
import Foundation
import LockstepData
import LockstepModels
import LockstepTrain

/// `lockstep eval RECIPE --weights FILE`.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate saved weights on the recipe's test set, split over the ranks.")

    @Argument(help: "The recipe the weights were trained with.")
    var recipe: String

    @Option(help: "Weights file written by `lockstep train` (RUN/model.h5).")
    var weights: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe key (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func run() throws {
        let code = Runtime.distributed { comm in
            let recipe = try Recipe.load(self.recipe, overrides: overrides)
            guard let testPath = recipe.data.test else { throw RecipeError("\(self.recipe): data.test is needed for eval") }
            let test = try ShardSet(manifestPath: testPath, verifyChecksums: recipe.data.verifyChecksums)
            try test.restrict(classes: recipe.data.classes, limit: nil, seed: recipe.seed)
            let model = try ModelZoo.build(recipe.model, inputShape: try recipe.data.transform.outputShape(test.sampleShape),
                                           classes: test.numClasses)
            if comm.rank == 0 { try ModelWeights.load(weights, into: model) }
            try comm.broadcast(stateOf: model, root: 0)
            let trainer = Trainer(recipe: recipe, communicator: comm)
            let result = try trainer.evaluate(model: model, on: test, loss: recipe.makeLoss())
            if comm.rank == 0 {
                print(String(format: "test loss %.4f  test accuracy %.2f%% (%d samples, %d rank(s))", result.loss, 100 * result.accuracy,
                             test.count, comm.size))
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
