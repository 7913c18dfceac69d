/// What a step with NaN or ±Inf gradients does to the run.
public enum NonFinitePolicy: String, CaseIterable, Sendable {
    /// End the run on every rank, naming the step, the ranks and the first non-finite layer.
    case stop
    /// Drop the step on every rank alike, count it in metrics.csv, and go on.
    case skip
}
