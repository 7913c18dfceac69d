// swift-tools-version:6.0
import PackageDescription

// System libraries come from Debian: libopenblas-dev, libopenmpi-dev, libhdf5-dev, zlib1g-dev,
// libjpeg62-turbo-dev, libpng-dev.
// Only the Lockstep* wrapper modules import the C* modules; nothing above them sees a C type.
let package = Package(
    name: "Lockstep",
    products: [
        .executable(name: "lockstep", targets: ["lockstep"]),
        .executable(name: "gan", targets: ["gan"]),
        // The library for programs of your own (`import Lockstep`): layers, optimizers, data, and the data-parallel core.
        .library(name: "Lockstep", targets: ["Lockstep"]),
        // The training run from typed parts, and the recipe runner `lockstep train` is made of.
        .library(name: "LockstepTrain", targets: ["LockstepTrain", "LockstepRecipe", "LockstepOutputs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `swift package generate-documentation --target Lockstep`: the library's DocC catalog.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        // cpuid/xgetbv and a process_vm_readv probe, which Swift cannot express (BLAS core choice, doctor).
        .target(name: "CMachine"),
        .target(name: "CKernels"),
        // A SIGSEGV handler that names the file libhdf5 was reading (damaged files crash libhdf5 1.10).
        .target(name: "CReadGuard"),
        // JPEG and PNG through libjpeg-turbo and libpng, whose errors longjmp (Swift cannot catch that).
        .target(name: "CImageCodec", dependencies: ["CJPEG", "CPNG"]),

        .target(name: "LockstepTimeline"),
        // Watching runs: the console's progress bar, per-rank log files, TensorBoard event files, plots.
        .target(name: "LockstepMonitor", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["TensorBoard/event.proto", "TensorBoard/generate.sh"]),
        .target(name: "LockstepTensor", dependencies: ["CBLAS", "CKernels", "CMachine"]),
        .target(name: "LockstepNN", dependencies: ["LockstepTensor", "LockstepTimeline"]),
        .target(name: "LockstepOptimizers", dependencies: ["LockstepTensor"]),
        .target(name: "LockstepHDF5", dependencies: ["CHDF5", "CReadGuard", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LockstepDistributed", dependencies: ["CMPI", "CMachine", "LockstepNN", "LockstepTensor", "LockstepTimeline"]),
        .target(name: "LockstepData", dependencies: [
            "LockstepHDF5", "LockstepTensor", "CMachine", "CZlib", "CImageCodec",
        ]),
        .target(name: "LockstepModels", dependencies: ["LockstepNN", "LockstepHDF5"]),
        // Models out: ONNX (Swift generated once from ONNX's onnx.proto by ONNX/generate.sh), safetensors with
        // torchvision's names, Keras save_weights HDF5.
        .target(name: "LockstepExport", dependencies: [
            "LockstepNN", "LockstepTensor", "LockstepModels", "LockstepHDF5", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["ONNX/onnx.proto", "ONNX/generate.sh"]),
        // Operating a run: the stall watchdog, signals, replica fingerprints, NaN diagnosis, collective agreement on
        // errors, the machine check (`lockstep doctor`), start-up reports and Chrome traces. Below the library, so a
        // hand-written loop has them too.
        .target(name: "LockstepOperations", dependencies: [
            "LockstepDistributed", "LockstepNN", "LockstepOptimizers", "LockstepTensor", "LockstepHDF5", "LockstepMonitor",
            "LockstepTimeline",
        ]),
        // The library's front door (`import Lockstep`): every module above re-exported, and the data-parallel core of a
        // hand-written loop (the world of ranks, a model made data-parallel, checkpoints of any set of models).
        .target(name: "Lockstep", dependencies: [
            "LockstepTensor", "LockstepNN", "LockstepOptimizers", "LockstepHDF5", "LockstepDistributed", "LockstepData",
            "LockstepModels", "LockstepMonitor", "LockstepOperations", "LockstepExport",
        ]),
        // What a run leaves and shows: the run directory (metrics, summary, status, TensorBoard), the console's
        // progress, evaluation results and confusion matrices, the table of runs.
        .target(name: "LockstepOutputs", dependencies: [
            "LockstepOperations", "LockstepData", "LockstepDistributed", "LockstepHDF5", "LockstepMonitor", "LockstepNN",
            "LockstepTensor",
        ]),
        // The training run from typed parts (`Trainer`, `TrainingParts`): the loop, the data-parallel step, evaluation,
        // checkpoints, fine-tuning and the watches.
        .target(name: "LockstepTrain", dependencies: [
            "Lockstep", "LockstepOperations", "LockstepOutputs", "LockstepTensor", "LockstepNN", "LockstepOptimizers",
            "LockstepHDF5", "LockstepDistributed", "LockstepData", "LockstepModels", "LockstepTimeline", "LockstepMonitor",
        ]),
        // The YAML recipe: parsed and checked key by key, then made into a run's parts; prediction from a recipe's model.
        .target(name: "LockstepRecipe", dependencies: [
            "LockstepTrain", "LockstepOperations", "LockstepOutputs", "Lockstep", "LockstepTensor", "LockstepNN",
            "LockstepOptimizers", "LockstepHDF5", "LockstepDistributed", "LockstepData", "LockstepModels", "LockstepMonitor",
            .product(name: "Yams", package: "Yams"),
        ]),
        // `lockstep bench`: the workloads of the benchmark suite (W1–W6) and their measurement.
        .target(name: "LockstepBench", dependencies: [
            "LockstepTrain", "LockstepRecipe", "LockstepOperations", "LockstepOutputs", "Lockstep", "LockstepTimeline", "LockstepTensor", "LockstepNN", "LockstepOptimizers",
            "LockstepDistributed", "LockstepData", "LockstepModels",
        ]),
        .executableTarget(name: "lockstep", dependencies: [
            "Lockstep", "LockstepExport", "LockstepTrain", "LockstepRecipe", "LockstepOperations", "LockstepOutputs", "LockstepBench", "LockstepTensor", "LockstepDistributed", "LockstepHDF5", "LockstepMonitor", "LockstepNN",
            "LockstepData",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Programs written on the library, launched as `launch/run --bin .build/release/NAME`. (examples/custom-loop is a
        // package of its own, as a user's program would be.)
        .executableTarget(name: "gan", dependencies: ["Lockstep", "LockstepRecipe", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "examples/gan"),

        // Helpers shared by the test targets: fixture lookup, assertClose, gradient checks.
        .target(name: "LockstepTestSupport", dependencies: ["LockstepNN", "LockstepTensor", "LockstepHDF5", "LockstepData"],
                path: "Tests/LockstepTestSupport"),
        .testTarget(name: "LockstepTimelineTests", dependencies: ["LockstepTimeline"]),
        .testTarget(name: "LockstepMonitorTests", dependencies: ["LockstepMonitor"]),
        .testTarget(name: "LockstepTensorTests", dependencies: ["LockstepTensor", "LockstepTestSupport"]),
        .testTarget(name: "LockstepNNTests", dependencies: ["LockstepNN", "LockstepTensor", "LockstepTestSupport"]),
        .testTarget(name: "LockstepOptimizersTests", dependencies: ["LockstepOptimizers", "LockstepTensor", "LockstepTestSupport"]),
        .testTarget(name: "LockstepHDF5Tests", dependencies: ["LockstepHDF5", "LockstepTestSupport"]),
        .testTarget(name: "LockstepDistributedTests", dependencies: ["LockstepDistributed", "LockstepNN", "LockstepTensor"]),
        .testTarget(name: "LockstepModelsTests", dependencies: ["LockstepModels", "LockstepNN", "LockstepTensor", "LockstepHDF5", "LockstepTestSupport"]),
        .testTarget(name: "LockstepDataTests", dependencies: ["LockstepData", "LockstepHDF5", "LockstepTestSupport"]),
        .testTarget(name: "LockstepTests", dependencies: [
            "Lockstep", "LockstepDistributed", "LockstepNN", "LockstepOptimizers", "LockstepTensor", "LockstepTestSupport",
        ]),
        .testTarget(name: "LockstepBenchTests", dependencies: ["LockstepBench"]),
        .testTarget(name: "LockstepExportTests", dependencies: [
            "LockstepExport", "LockstepModels", "LockstepNN", "LockstepTensor", "LockstepHDF5", "LockstepTestSupport",
        ]),
        .testTarget(name: "LockstepTrainTests", dependencies: [
            "LockstepTrain", "LockstepRecipe", "LockstepOperations", "LockstepOutputs", "LockstepNN", "LockstepModels", "LockstepOptimizers", "LockstepDistributed",
            "LockstepData", "LockstepHDF5", "LockstepTestSupport",
        ]),
    ]
)
