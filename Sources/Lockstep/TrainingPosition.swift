/// Where a run is: enough to continue from the exact next sample.
public struct TrainingPosition: Sendable, Equatable {
    /// The position before `step` (the next one to run), at step `positionInEpoch` of `epoch`.
    public init(step: Int, epoch: Int, positionInEpoch: Int) {
        self.step = step
        self.epoch = epoch
        self.positionInEpoch = positionInEpoch
    }

    /// Optimizer steps taken so far (global, over all epochs).
    public var step: Int
    /// Epoch of the next step.
    public var epoch: Int
    /// Step within that epoch of the next step.
    public var positionInEpoch: Int
}
