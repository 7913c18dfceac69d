import Foundation
import Lockstep
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepRecipe
import LockstepTensor
import LockstepTimeline
import LockstepTrain

/// Options shared by the workloads.
public struct BenchOptions: Sendable {
    public var repeats = 3
    /// Overrides the workload's timed steps per repeat (and warm-up steps).
    public var steps: Int?
    public var warmup: Int?
    /// Start each gradient bucket's allreduce during backward (false: all after backward).
    public var overlap = true
    /// Check the gradients for NaN/Inf every step, as `lockstep train` does.
    public var checkNonFinite = false
    /// Gradient bucket size.
    public var bucketBytes = GradientReducer.defaultBucketBytes
    /// What gradients travel as (W1–W5, W8, W9).
    public var allreducePrecision = GradientReducer.Precision.float32
    /// Fashion-MNIST's IDX directory (W1, W2, W6, W8).
    public var fashionMNIST = "/usr/share/datasets/fashion-mnist"
    /// Write a Chrome trace of the timed steps here.
    public var timeline: String?
    /// W5's message sizes in bytes.
    public var sizes = [4 << 10, 64 << 10, 1 << 20, 16 << 20, 100 << 20]
    /// W6, W7: where to write the benchmark shards (a temporary directory if nil).
    public var scratch: String?
    /// W7: the synthetic dataset's size in GB and shard count.
    public var datasetGB = 2.0
    public var shards = 64
    public init() {}
}

/// W1–W4: the real training step (`TrainingStep`, as `lockstep train` runs it) on in-memory
/// data sliced as the PyTorch reference slices it, timed after warm-up.
public enum ModelBench {
    public static func run(_ workload: Workload, options: BenchOptions, comm: any Communicator) throws -> BenchReport {
        guard let w = workload.training else { preconditionFailure("\(workload) is not a training workload") }
        let (inputs, labels) = try data(w, options: options)
        let n = inputs.shape[0], batch = w.batchPerRank
        let model = try ModelZoo.build(w.model, inputShape: w.inputShape, classes: 10)
        if comm.rank == 0 { model.arena.initialize(seed: 0) }
        try comm.broadcast(stateOf: model, root: 0)
        for p in w.freeze.select(model.parameters) { p.isFrozen = true }
        let stepper = TrainingStep(model: model, loss: SoftmaxCrossEntropy(), optimizer: w.makeOptimizer(), communicator: comm,
                                   bucketBytes: options.bucketBytes, allreducePrecision: options.allreducePrecision)
        stepper.reducer.overlap = options.overlap
        stepper.checksNonFinite = options.checkNonFinite

        func step(_ i: Int) throws {
            let waitStart = Timeline.now()
            let j = ((i * comm.size + comm.rank) * batch) % (n - batch)
            let x = inputs.rows(j..<(j + batch))
            let y = Array(labels[j..<(j + batch)])
            stepper.recordDataWait(from: waitStart)
            _ = try stepper.run(x, targets: .classes(y), context: ForwardContext(training: true, seed: 0, step: i, rank: comm.rank),
                                learningRate: stepper.optimizer.learningRate)
        }

        let warmup = options.warmup ?? w.warmupSteps, steps = options.steps ?? w.timedSteps
        for i in 0..<warmup { try step(i) }
        stepper.times = PhaseTimes()
        let timeline = try options.timeline.map { _ in try TraceFile.start(comm) }
        var rates: [Double] = []
        for r in 0..<options.repeats {
            let elapsed = try BenchReport.slowestRank(comm) { for i in 0..<steps { try step(warmup + r * steps + i) } }
            rates.append(Double(steps * batch * comm.size) / elapsed)
        }
        if let timeline, let path = options.timeline { try TraceFile.finish(timeline, comm, to: path) }
        let times = stepper.times
        var report = BenchReport(workload: workload.rawValue, ranks: comm.size, threads: BLAS.threads, batch: batch,
                                 samplesPerSecAll: rates, peakRSSBytes: 0)
        report.timeSplit = times.secondsPerStep
        report.extra.append(("parameters", Double(model.arena.parameterCount)))
        report.extra.append(("trainable_parameters", Double(model.parameters.filter { !$0.isFrozen }.reduce(0) { $0 + $1.count })))

        if comm.size > 1 {
            report.extra += try overlapReport(stepper, times: times, steps: steps, overlap: options.overlap) {
                try step(warmup + options.repeats * steps + $0)
            }
        }
        if workload == .w1, let (efficiency, gflops) = denseEfficiency(model, batch: batch) {
            report.extra.append(("dense_gemm_efficiency", efficiency))
            report.extra.append(("raw_sgemm_gflops", gflops))
        }
        report.peakRSSBytes = try BenchReport.peakRSS(comm)
        return report
    }

    /// How much of the allreduce backward hid: the timed steps' exposed reduction time against
    /// that of `steps` more steps (run by `step`) with every bucket started only after
    /// backward (no overlap), which expose the whole reduction.
    static func overlapReport(_ stepper: TrainingStep, times: PhaseTimes, steps: Int, overlap: Bool,
                              step: (Int) throws -> Void) throws -> [(String, Double)] {
        let exposed = Double(times.allreduce) / Double(max(times.steps, 1))
        stepper.reducer.overlap = false
        stepper.times = PhaseTimes()
        for i in 0..<steps { try step(i) }
        let serial = Double(stepper.times.allreduce) / Double(max(stepper.times.steps, 1))
        stepper.reducer.overlap = overlap
        // One bucket completes with backward: nothing can overlap, and any difference
        // between the two passes is noise.
        let hidden = stepper.reducer.buckets.count > 1 && serial > 0 ? max(0, 1 - exposed / serial) : 0
        return [("allreduce_exposed_s_per_step", exposed / 1e9),
                ("allreduce_in_flight_s_per_step", Double(times.allreduceInFlight) / Double(max(times.steps, 1)) / 1e9),
                ("allreduce_no_overlap_s_per_step", serial / 1e9),
                ("allreduce_hidden_fraction", hidden),
                ("gradient_buckets", Double(stepper.reducer.buckets.count))]
    }

    /// The model's Dense layers (forward, then backward with weight, bias and input gradients)
    /// timed against bare sgemm calls of the same three products: raw time / layer time, and
    /// the raw GFLOP/s. Nil when the model has no top-level Dense layer.
    static func denseEfficiency(_ model: Model, batch: Int, repeats: Int = 30) -> (Double, Double)? {
        guard let net = model.root as? Sequential else { return nil }
        let dense = net.layers.compactMap { $0 as? Dense }
        guard !dense.isEmpty else { return nil }
        var layerTime: UInt64 = 0, rawTime: UInt64 = 0, flops = 0.0
        var rng = CounterRNG(key: 0xD5)
        for layer in dense {
            let k = layer.inputSize!, m = layer.outputSize
            let x = Tensor(shape: [batch, k]), dy = Tensor(shape: [batch, m])
            for i in 0..<x.count { x.data[i] = rng.nextNormal() }
            for i in 0..<dy.count { dy.data[i] = rng.nextNormal() }
            let y = Tensor(shape: [batch, m]), dx = Tensor(shape: [batch, k]), dw = Tensor(shape: [m, k])
            let w = layer.weight.value.data
            func raw() {
                BLAS.sgemm(transB: true, m: batch, n: m, k: k, a: x.data, lda: k, b: w, ldb: k, c: y.data, ldc: m)
                BLAS.sgemm(transA: true, m: m, n: k, k: batch, a: dy.data, lda: m, b: x.data, ldb: k, c: dw.data, ldc: k)
                BLAS.sgemm(m: batch, n: k, k: m, a: dy.data, lda: m, b: w, ldb: k, c: dx.data, ldc: k)
            }
            func viaLayer() {
                _ = layer.forward(x, ForwardContext(training: true))
                _ = layer.backward(dy, needsInputGradient: true, nil)
            }
            raw(); viaLayer()
            // Interleaved, so drift on a shared machine hits both alike.
            for _ in 0..<repeats {
                var t = Timeline.now()
                raw()
                rawTime += Timeline.now() - t
                t = Timeline.now()
                viaLayer()
                layerTime += Timeline.now() - t
            }
            flops += 6 * Double(batch * k * m) * Double(repeats)
        }
        return (Double(rawTime) / Double(max(layerTime, 1)), flops / Double(max(rawTime, 1)))
    }

    /// The whole input set in memory: Fashion-MNIST train in [0, 1], or 4 batches of N(0, 1)
    /// noise with random labels (as the reference).
    static func data(_ w: Workload.Training, options: BenchOptions) throws -> (Tensor, [Int32]) {
        if w.fashionMNIST {
            let (dims, bytes) = try IDXReader.read(try DatasetConverter.locate(options.fashionMNIST, "train-images-idx3-ubyte"))
            let (_, labelBytes) = try IDXReader.read(try DatasetConverter.locate(options.fashionMNIST, "train-labels-idx1-ubyte"))
            let t = Tensor(shape: [dims[0], 1, dims[1], dims[2]])
            for i in 0..<bytes.count { t.data[i] = Float(bytes[i]) / 255 }
            return (t, labelBytes.map { Int32($0) })
        }
        let count = w.batchPerRank * 4
        let t = Tensor(shape: [count] + w.inputShape)
        var rng = CounterRNG(key: 0x5EED)
        for i in 0..<t.count { t.data[i] = rng.nextNormal() }
        return (t, (0..<count).map { _ in Int32(rng.next() % 10) })
    }
}
