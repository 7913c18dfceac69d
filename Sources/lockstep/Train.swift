import ArgumentParser
import Foundation
import LockstepMonitor
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep train RECIPE [--set key=value …] [--out DIR]`.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model as a recipe describes, on every rank in lockstep.",
        discussion: """
            SIGUSR1, SIGTERM or SIGINT on any rank: all ranks stop at the next step boundary, rank 0 \
            writes a checkpoint, and every rank exits with code 75 ("resume me": run again with \
            --resume auto). Other failures exit with 1.
            """)

    @Argument(help: "The YAML recipe (see examples/).")
    var recipe: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a recipe key, e.g. --set optimizer.lr=0.1 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .customLong("out"), help: "Run directory (default: the recipe's `output`).")
    var output: String?

    @Option(help: ArgumentHelp("Continue from a checkpoint: auto (the run's latest, if any) or a checkpoint file.", valueName: "auto|PATH"))
    var resume: String?

    @Option(help: ArgumentHelp("Record every rank's steps (per-layer forward/backward, bucket allreduces, optimizer, data wait) and write them as one Chrome trace (chrome://tracing, ui.perfetto.dev) to FILE.", valueName: "FILE"))
    var timeline: String?

    @Flag(help: "Hash every shard before training, even those the verification cache records as verified and unchanged (data.checksum_cache: false).")
    var verifyData = false

    func run() throws {
        let code = Runtime.distributed { comm in
            try Runtime.reportPlacement(comm, show: true)
            let recipe = try comm.agreeing(on: "reading the recipe", partialHint: "The other ranks could read it: on a cluster, the recipe must be on a file system every node sees.") {
                try Recipe.load(self.recipe, overrides: overrides + (verifyData ? ["data.checksum_cache=false"] : []))
            }
            Runtime.startRankLog(runDirectory: output ?? recipe.output, rank: comm.rank)
            Console.shared.logOnly("lockstep: \(comm.rankTag), pid \(getpid()): " + CommandLine.arguments.joined(separator: " "))
            let trainer = Trainer(recipe: recipe, communicator: comm, outputDirectory: output)
            trainer.timelinePath = timeline
            trainer.faults = try FaultInjection.fromEnvironment()
            try trainer.run(resume: resume)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
