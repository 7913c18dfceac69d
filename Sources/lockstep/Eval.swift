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
            guard recipe.data.test != nil else { throw RecipeError("\(self.recipe): data.test is needed for eval") }
            let test = try recipe.openTestDataOnEveryRank(comm)
            let model = try recipe.buildModel(for: test)
            try model.loadWeights(weights, communicator: comm, deadline: recipe.training.stallTimeout > 0 ? recipe.training.stallTimeout : 600)
            let result = try Evaluator(recipe: recipe, communicator: comm).evaluate(model, on: test, loss: recipe.makeLoss())
            if comm.rank == 0 {
                print(String(format: "test loss %.4f  test accuracy %.2f%% (%d samples, %d rank(s))", result.loss, 100 * result.accuracy,
                             test.count, comm.size))
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
