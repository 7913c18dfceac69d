/// Sums per-channel batch statistics over the ranks that train one model together, for
/// BatchNorm's synchronized mode (PyTorch's `SyncBatchNorm`): every rank then normalizes with
/// the global batch's mean and variance, so N ranks × B train as one rank × N·B, and a small
/// batch per rank still gets statistics of the whole batch.
///
/// `sum` is a collective: every rank calls it in the same order with the same count. It is
/// called from the thread that runs forward and backward.
public protocol BatchStatisticsSync: AnyObject {
    /// Replaces `values` with their elementwise sum over the ranks.
    func sum(_ values: UnsafeMutableBufferPointer<Double>)
}
