import ArgumentParser
import LockstepBench
import LockstepDistributed
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// `lockstep bench WORKLOAD [--json] …`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a workload of the benchmark suite and report its throughput.",
        discussion: """
            W1 MLP and W2 LeNet-5 on Fashion-MNIST, W3 ResNet-18 (CIFAR stem) and W4 VGG-16 at 64×64 \
            on random data (W4-frozen: features frozen), W5 gradient allreduce vs raw MPI_Allreduce, \
            W6 HDF5 minibatch reads, W7 start-up (time to the first step, bytes hashed and read per rank), \
            W8 LSTM and W9 Transformer, W10 `lockstep train` end to end (the MLP and LeNet-5). Reports the median samples/s of the timed repeats (the total over \
            all ranks under mpirun), peak RSS, and the time per step by phase. Use a release build; \
            launch/bench-compare runs these side by side with PyTorch.
            """)

    @Argument(help: ArgumentHelp("One of: \(Workload.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "workload"))
    var workload: String

    @Flag(help: "Print one JSON object per run instead of text.") var json = false
    @Option(help: "Timed repeats (the median is reported).") var repeats = 3
    @Option(help: "Timed steps per repeat (default: the workload's).") var steps: Int?
    @Option(help: "Warm-up steps (default: the workload's).") var warmup: Int?
    @Option(help: "Gradient bucket size in MB.") var bucketMb: Double = 25
    @Option(help: "What gradients travel as: float32 or bfloat16 (W1-W5, W8, W9).") var allreduceDtype = "float32"
    @Flag(help: "Start gradient allreduces only after backward (default: during backward, as buckets fill).") var noOverlap = false
    @Flag(help: "Convolutions by im2col only, without Winograd's algorithm for 3×3 stride-1 layers, to compare.") var noWinograd = false
    @Flag(help: "Check the gradients for NaN/Inf every step, as training does (W1-W4), to measure its cost.") var checkNonfinite = false
    @Option(help: "Fashion-MNIST IDX directory.") var data = "/usr/share/datasets/fashion-mnist"
    @Option(help: ArgumentHelp("Write a Chrome trace of the timed steps (all ranks) to FILE.", valueName: "FILE")) var timeline: String?
    @Option(help: ArgumentHelp("W5 message sizes in bytes, comma-separated.", valueName: "list")) var sizes: String?
    @Option(help: "W6, W7, W10: directory for the benchmark's HDF5 shards (default: a temporary one).") var scratch: String?
    @Option(help: "W7: size of the synthetic dataset in GB.") var datasetGb = 2.0
    @Option(help: "W7: shards of the synthetic dataset.") var shards = 64

    func validate() throws {
        guard Workload(rawValue: workload) != nil else {
            throw ValidationError("unknown workload \"\(workload)\"; known: \(Workload.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard GradientReducer.Precision(rawValue: allreduceDtype) != nil else {
            throw ValidationError("--allreduce-dtype is \"\(allreduceDtype)\"; known: float32, bfloat16")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let sizes, sizes.split(separator: ",").contains(where: { Int($0).map { $0 < 4 } ?? true }) {
            throw ValidationError("--sizes must be byte counts of at least 4, comma-separated, e.g. 4096,1048576")
        }
    }

    func run() throws {
        var options = BenchOptions()
        options.repeats = repeats
        options.steps = steps
        options.warmup = warmup
        options.bucketBytes = Int(bucketMb * 1_048_576)
        options.allreducePrecision = GradientReducer.Precision(rawValue: allreduceDtype)!
        options.overlap = !noOverlap
        options.checkNonFinite = checkNonfinite
        Conv2D.winogradEnabled = !noWinograd
        options.fashionMNIST = data
        options.timeline = timeline
        options.scratch = scratch
        options.datasetGB = datasetGb
        options.shards = shards
        if let sizes { options.sizes = sizes.split(separator: ",").compactMap { Int($0) } }
        let w = Workload(rawValue: workload)!
        let code = Runtime.distributed { comm in
            try Runtime.reportPlacement(comm, show: false)
            let reports: [BenchReport]
            switch w {
            case .w5: reports = try AllreduceBench.run(options: options, comm: comm)
            case .w6: reports = [try HDF5Bench.run(options: options, comm: comm)]
            case .w7: reports = try StartupBench.run(options: options, comm: comm)
            case .w10: reports = try TrainLoopBench.run(options: options, comm: comm)
            default: reports = [try ModelBench.run(w, options: options, comm: comm)]
            }
            if comm.rank == 0 { for r in reports { print(json ? r.json : r.text) } }
        }
        if code != 0 { throw ExitCode(code) }
    }
}
