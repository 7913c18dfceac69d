import LockstepDistributed
import LockstepMonitor
import LockstepNN
import LockstepOptimizers
import LockstepTensor

/// A model made data-parallel, as PyTorch's `DistributedDataParallel` or Horovod's
/// `DistributedOptimizer`: every rank holds a replica, starts from rank 0's parameters, and
/// after each backward pass holds the gradients averaged over all ranks.
///
/// Gradients are summed in buckets of about `bucketBytes`, each started as soon as backward
/// has finished every gradient in it (see `GradientReducer`), so communication overlaps the
/// rest of backward. Several models (a GAN's generator and discriminator) each get their own
/// `DataParallel`, reducer and optimizer.
///
/// A step:
///
/// ```swift
/// let output = net.forward(batch.inputs, context)
/// let value = try loss.forward(output, .classes(batch.labels))
/// try net.backward(loss.backward())
/// try net.step(optimizer)          // wait for the gradients, average, update, sync buffers
/// ```
///
/// See Note [initialization on rank 0] in docs/architecture.md.
public final class DataParallel {
    /// The replica on this rank.
    public let model: Model
    /// The ranks the gradients are averaged over.
    public let communicator: any Communicator
    /// The bucketed allreduce of the model's gradients.
    public private(set) var reducer: GradientReducer
    /// Told which phase each step is in (the allreduce, the update, the buffers' broadcast),
    /// when a stall watchdog runs (`World.stallWatchdog`).
    public var watchdog: StallWatchdog?
    /// Updates applied by `step` so far (the step number in the watchdog's and errors' words).
    public private(set) var steps = 0
    /// A reducing backward pass ran and its reductions have not been waited for.
    private var reducing = false
    private var reduceError: Error?

    /// Wraps `model` and gives every rank rank 0's parameters and buffers (replicas start
    /// identical, whatever each rank initialized). A collective call: every rank makes it.
    ///
    /// With `synchronizesBatchNorm` (PyTorch's `SyncBatchNorm`), every `BatchNorm` of the model
    /// normalizes with the statistics of the global batch, summed over the ranks in forward and
    /// backward: N ranks × B then train exactly as one rank × N·B, at the cost of two small
    /// allreduces per BatchNorm per pass. A training-mode pass of the model is then a
    /// collective: every rank runs it. What one rank does alone (samples, a score) runs in
    /// evaluation mode or on a copy of the model.
    public init(_ model: Model, communicator: any Communicator, bucketBytes: Int = GradientReducer.defaultBucketBytes,
                precision: GradientReducer.Precision = .float32, synchronizesBatchNorm: Bool = false) throws {
        self.model = model
        self.communicator = communicator
        reducer = GradientReducer(arena: model.arena, communicator: communicator, bucketBytes: bucketBytes, precision: precision)
        try communicator.broadcast(stateOf: model, root: 0)
        if synchronizesBatchNorm {
            let sync = RankStatisticsSync(communicator)
            for norm in model.layers(of: BatchNorm.self) { norm.synchronization = sync }
        }
    }

    /// The model's output for this rank's batch.
    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        model.forward(input, context)
    }

    /// Back-propagates `lossGradient` (see `Model.backward` for `needsInputGradient` and
    /// `accumulate`). With `reduce` (the default), each bucket's allreduce starts as soon as
    /// backward finishes its gradients; pass false for every pass but the last of several that
    /// accumulate (DDP's `no_sync`), and for a pass whose parameter gradients are not wanted
    /// (a discriminator's pass that only feeds the generator's gradient).
    @discardableResult
    public func backward(_ lossGradient: Tensor, needsInputGradient: Bool = false, accumulate: Bool = false,
                         reduce: Bool = true) throws -> Tensor? {
        guard reduce else {
            return model.backward(lossGradient, needsInputGradient: needsInputGradient, accumulate: accumulate)
        }
        precondition(!reducing, "DataParallel.backward with reduce: true twice before synchronize(): pass reduce: false to all but the last of accumulating passes")
        reducing = true
        reduceError = nil
        let reducer = self.reducer
        let inputGradient = model.backward(lossGradient, needsInputGradient: needsInputGradient, accumulate: accumulate) { ready in
            do { try reducer.gradientsReady(ready) } catch { self.reduceError = self.reduceError ?? error }
        }
        if let reduceError { throw reduceError }
        return inputGradient
    }

    /// Waits for every gradient reduction (reducing now whatever backward did not start) and,
    /// with `averaging`, divides by the number of ranks: the gradients are then the same on
    /// every rank, those of the mean loss over the global batch.
    public func synchronize(averaging: Bool = true) throws {
        reducing = false
        try reducer.finish(averaging: averaging)
    }

    /// Sends rank 0's non-trainable state (BatchNorm running statistics, which saw only each
    /// rank's batch) to every rank, so replicas and checkpoints hold one state, as DDP does.
    public func synchronizeBuffers() throws {
        try communicator.broadcast(buffersOf: model, root: 0)
    }

    /// One update: waits for the gradients, applies `optimizer` with the average over ranks
    /// folded into its update (no pass of its own), then synchronizes the buffers.
    ///
    /// With `checksFinite` (the default), gradients holding NaN or ±Inf are not applied: every
    /// rank holds the same sums, so every rank throws the same `AgreedFailure`, naming the
    /// first parameter whose gradient is not finite, and the replicas keep their last state
    /// (the last checkpoint stays good). `NonFiniteDiagnosis.local` tells where it began.
    public func step(_ optimizer: any Optimizer, checksFinite: Bool = true) throws {
        watchdog?.waiting("waiting for the gradient allreduce", step: steps)
        try synchronize(averaging: false)
        if checksFinite && !NonFiniteDiagnosis.gradientsAreFinite(model) {
            let first = NonFiniteDiagnosis.firstNonFiniteGradient(model) ?? "?"
            throw AgreedFailure("non-finite gradients at step \(steps + 1) (first: \(first)); the update was not applied. Lower the learning rate, clip the gradients (GradientClipping) or check the data")
        }
        watchdog?.mark("optimizer step", step: steps)
        optimizer.step(model.arena, gradientScale: 1 / Float(communicator.size))
        if !model.buffers.isEmpty {
            watchdog?.waiting("waiting for the BatchNorm buffer broadcast", step: steps)
            try synchronizeBuffers()
        }
        steps += 1
    }

    /// Re-plans the gradient buckets; call after freezing or unfreezing parameters (frozen
    /// gradients are never sent).
    public func parametersChanged() {
        reducer = reducer.replanned()
    }
}

/// BatchNorm's statistics summed over the communicator's ranks. A failed sum (a rank lost)
/// cannot be thrown from inside a layer's pass: it is printed with this rank's name and ends
/// every rank, as any error of a data-parallel run does.
final class RankStatisticsSync: BatchStatisticsSync {
    private let communicator: any Communicator

    init(_ communicator: any Communicator) { self.communicator = communicator }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard communicator.size > 1 else { return }
        do { try communicator.allreduceSum(values) } catch {
            Console.shared.final("\(communicator.rankTag): error: summing BatchNorm statistics over the ranks: \(error)")
            communicator.abort(code: 1)
        }
    }
}
