import ArgumentParser
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep recipe-keys`: every recipe key, as docs/recipes.md's table.
struct RecipeKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipe-keys",
        abstract: "List every recipe key with its type, default and meaning (a Markdown table).")

    func run() throws { print(Recipe.keyTable, terminator: "") }
}
