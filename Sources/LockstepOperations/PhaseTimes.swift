import LockstepTimeline

/// Nanoseconds spent per phase of the training step, summed over steps.
public struct PhaseTimes: Sendable, Equatable {
    /// Waiting for the next batch (the loader's prefetch did not keep up).
    public var data: UInt64 = 0
    /// Model forward and the loss.
    public var forward: UInt64 = 0
    /// Loss gradient and model backward, including bucket reductions started and tested in it.
    public var backward: UInt64 = 0
    /// Waiting for the gradient reductions backward did not hide, and averaging.
    public var allreduce: UInt64 = 0
    /// Regularization, clipping and the optimizer update.
    public var optimizer: UInt64 = 0
    /// Per-step agreement between ranks: BatchNorm buffer broadcast, signal check.
    public var sync: UInt64 = 0
    /// Time during which gradient reductions were in flight (hidden or not).
    public var allreduceInFlight: UInt64 = 0
    public var steps = 0

    public init() {}

    /// The times of the steps since `earlier`, a copy of these times taken then.
    public func since(_ earlier: PhaseTimes) -> PhaseTimes {
        var d = PhaseTimes()
        d.data = data - earlier.data; d.forward = forward - earlier.forward; d.backward = backward - earlier.backward
        d.allreduce = allreduce - earlier.allreduce; d.optimizer = optimizer - earlier.optimizer; d.sync = sync - earlier.sync
        d.allreduceInFlight = allreduceInFlight - earlier.allreduceInFlight
        d.steps = steps - earlier.steps
        return d
    }

    /// Phase name → mean seconds per step, for reports.
    public var secondsPerStep: [(String, Double)] {
        [("data_wait", data), ("forward", forward), ("backward", backward), ("allreduce", allreduce),
         ("optimizer", optimizer), ("sync", sync)].map { ($0.0, Double($0.1) / 1e9 / Double(max(steps, 1))) }
    }
}
