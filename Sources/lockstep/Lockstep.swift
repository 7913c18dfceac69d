import ArgumentParser
import Lockstep
import LockstepHDF5
import LockstepTensor

/// The `lockstep` command: distributed data-parallel training across MPI ranks.
@main
struct Lockstep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Distributed data-parallel neural-network training over MPI, from sharded HDF5 data.",
        discussion: """
            Run under mpirun or srun for several ranks (launch/run builds the command line), or \
            directly for one rank. Rank 0 prints progress and writes the run directory. \
            The manual is in docs/ (start with README.md).

            Examples:
              lockstep shard fashion-mnist --out data
              launch/run -n 2 -- train examples/fashion-mnist-mlp.yaml
              launch/run -n 2 -- eval examples/fashion-mnist-mlp.yaml \\
                --weights runs/fashion-mnist-mlp/model.h5
              lockstep runs
            """,
        subcommands: [Train.self, Eval.self, Predict.self, Export.self, Shard.self, DemoImagesCommand.self, Inspect.self, Compare.self, Bench.self, Scale.self, Runs.self, Plot.self, Doctor.self, RecipeKeysCommand.self])

    /// Before anything else (threads, MPI): when OpenBLAS picked kernels older than this CPU
    /// runs, or will spin its idle threads for 0.1 s, re-execute with the right settings.
    /// Every rank does this for itself, so it works whatever started the process.
    static func main() {
        World.prepareProcess(label: "lockstep")
        main(nil)
    }
}
