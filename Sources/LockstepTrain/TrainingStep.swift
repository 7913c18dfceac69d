import Lockstep
import LockstepDistributed
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTensor
import LockstepTimeline

/// One synchronous data-parallel step — forward, loss, backward with bucketed gradient
/// allreduce overlapping it, regularization, clipping, the optimizer update, and the
/// per-step BatchNorm buffer broadcast — with the time of each phase accumulated in `times`
/// (and recorded on the active `Timeline`). The trainer and the benchmarks run this same code.
public final class TrainingStep {
    public let model: Model
    public let loss: any Loss
    public let optimizer: any Optimizer
    public let communicator: any Communicator
    public let regularization: [Regularizer]
    public let clipGradNorm: Float?
    public let bucketBytes: Int
    public private(set) var reducer: GradientReducer
    public var times = PhaseTimes()
    /// Told which phase each step is in, when a stall watchdog runs.
    public var watchdog: StallWatchdog?
    /// Check the averaged gradients for NaN or ±Inf before the update (one vectorized pass);
    /// a non-finite step is not applied (parameters, optimizer state and BatchNorm statistics
    /// stay as before it) and is reported as skipped. Every rank decides alike: the gradients
    /// are identical after the allreduce.
    public var checksNonFinite = false
    /// Micro-batches per step (gradient accumulation); 1: the batch in one pass.
    public var accumulationSteps = 1
    private let accumulation = GradientAccumulation()

    /// What a step did.
    public struct Outcome {
        /// The network output (valid until the next step).
        public let output: Tensor
        /// This rank's loss, regularization included.
        public let loss: Double
        /// Not applied: its gradients were not finite (with `checksNonFinite`).
        public let skipped: Bool
    }

    public init(model: Model, loss: any Loss, optimizer: any Optimizer, communicator: any Communicator,
                regularization: [Regularizer] = [], clipGradNorm: Float? = nil,
                bucketBytes: Int = GradientReducer.defaultBucketBytes, allreducePrecision: GradientReducer.Precision = .float32) {
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.communicator = communicator
        self.regularization = regularization
        self.clipGradNorm = clipGradNorm
        self.bucketBytes = bucketBytes
        self.reducer = GradientReducer(arena: model.arena, communicator: communicator, bucketBytes: bucketBytes, precision: allreducePrecision)
    }

    /// Re-plans the gradient buckets; call after freezing or unfreezing parameters.
    public func parametersChanged() {
        reducer = reducer.replanned()
    }

    /// Adds a data wait that ended now (the caller timed the loader).
    public func recordDataWait(from start: UInt64) {
        let end = Timeline.now()
        times.data += end - start
        Timeline.active?.record("next batch", .data, from: start, to: end)
    }

    /// The BatchNorm statistics before the current step, so a step that is not applied leaves
    /// them as they were: one buffer, allocated once, reused every step.
    private var bufferBackup: [Float] = []

    private func copyBuffers(restoring: Bool) {
        let total = model.buffers.reduce(0) { $0 + $1.value.count }
        if bufferBackup.count != total { bufferBackup = [Float](repeating: 0, count: total) }
        bufferBackup.withUnsafeMutableBufferPointer { backup in
            var offset = 0
            for b in model.buffers {
                let slot = backup.baseAddress! + offset
                if restoring { b.value.data.update(from: slot, count: b.value.count) } else { slot.update(from: b.value.data, count: b.value.count) }
                offset += b.value.count
            }
        }
    }

    /// Runs one step on this rank's batch at `learningRate`.
    public func run(_ inputs: Tensor, targets: Targets, context: ForwardContext,
                    learningRate: Float) throws -> Outcome {
        let timeline = Timeline.active
        var t0 = Timeline.now()
        func phase(_ keyPath: WritableKeyPath<PhaseTimes, UInt64>, _ name: String, _ category: Timeline.Category) {
            let t1 = Timeline.now()
            times[keyPath: keyPath] += t1 - t0
            timeline?.record(name, category, from: t0, to: t1)
            t0 = t1
        }
        watchdog?.mark("forward and backward", step: context.step)
        if checksNonFinite { copyBuffers(restoring: false) }
        accumulation.plan(samples: inputs.shape[0], steps: accumulationSteps)
        let parts = accumulation.count
        var value = 0.0
        var output = inputs
        var reduceError: Error?
        for j in 0..<parts {
            let rows = accumulation.rows(j), weight = accumulation.weight(j), last = j == parts - 1
            let out = model.forward(parts == 1 ? inputs : inputs.rows(rows), parts == 1 ? context : context.slice(rows))
            value += Double(weight) * Double(try loss.forward(out, parts == 1 ? targets : targets.slice(rows)))
            output = parts == 1 ? out : accumulation.gather(out, rows: rows)
            phase(\.forward, "forward", .forward)
            model.backward(loss.backward(), ready: !last ? nil : { ready in
                self.accumulation.complete(ready, weight: weight)
                do { try self.reducer.gradientsReady(ready) } catch { reduceError = reduceError ?? error }
            })
            if last { accumulation.completeRest(model.arena, weight: weight) }
            else { accumulation.add(model.arena, weight: weight, first: j == 0) }
            phase(\.backward, "backward", .backward)
        }
        if let reduceError { throw reduceError }

        // Averaging over ranks: folded into the optimizer's update unless regularization or
        // clipping must see the averaged gradients first.
        let averageHere = !regularization.isEmpty || clipGradNorm != nil
        watchdog?.waiting("waiting for the gradient allreduce", step: context.step)
        try reducer.finish(averaging: averageHere)
        watchdog?.mark("optimizer step", step: context.step)
        times.allreduceInFlight += reducer.lastInFlightNanos
        phase(\.allreduce, "gradient allreduce wait", .allreduce)
        if checksNonFinite && !NonFiniteDiagnosis.gradientsAreFinite(model) {
            copyBuffers(restoring: true)
            times.steps += 1
            return Outcome(output: output, loss: value, skipped: true)
        }

        for group in regularization { value += group.apply(model.parameters) }
        if let clipGradNorm { GradientClipping.clip(model.arena, maxNorm: clipGradNorm) }
        optimizer.learningRate = learningRate
        optimizer.step(model.arena, gradientScale: averageHere ? 1 : 1 / Float(communicator.size))
        phase(\.optimizer, "optimizer", .optimizer)

        // Running statistics saw only this rank's batch; as DDP, rank 0's become everyone's,
        // so replicas (and checkpoints) hold one state.
        if !model.buffers.isEmpty {
            watchdog?.waiting("waiting for the BatchNorm buffer broadcast", step: context.step)
            try communicator.broadcast(buffersOf: model, root: 0)
            phase(\.sync, "buffer broadcast", .sync)
        }
        times.steps += 1
        return Outcome(output: output, loss: value, skipped: false)
    }
}
