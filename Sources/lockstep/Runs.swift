import ArgumentParser
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep runs [DIR]`.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the run directories under DIR: status, steps, best and final test accuracy, wall time, ranks.",
        discussion: "Status: finished, stopped (exit 75: resume with --resume auto), failed (with the error), stalled (exit 76), running, or died (left running by a job that was killed).")

    @Argument(help: "The directory holding run directories.") var directory = "runs"

    func run() throws {
        let rows: [RunRow]
        do { rows = try RunTable.rows(in: directory) } catch {
            print("lockstep runs: error: \(error is RunDirectoryError ? "\(error)" : "cannot list \(directory): \(error.localizedDescription)")")
            throw ExitCode(1)
        }
        if rows.isEmpty { print("no run directories under \(directory) (a run directory holds the recipe.yaml lockstep train writes)") }
        else { print(RunTable.render(rows)) }
    }
}
