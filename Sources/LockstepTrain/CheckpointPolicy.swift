/// When and where checkpoints are written, as a recipe's `checkpoint:` section says.
public struct CheckpointPolicy: Sendable {
    /// Directory of the checkpoint files (default: RUN/checkpoints).
    public var directory: String?
    /// Also checkpoint every this many steps (0: only at epoch ends, on signals and at the end).
    public var everySteps: Int
    /// Checkpoint at the end of every epoch.
    public var everyEpoch: Bool
    /// How many of the most recent checkpoints to keep (the best is kept besides).
    public var keepLast: Int
    /// Metric that selects the best checkpoint (`test_accuracy`, `test_loss`, `train_loss`), if any.
    public var monitor: String?
    /// Whether larger or smaller values of the monitored metric are better.
    public enum Mode: String, CaseIterable, Sendable { case min, max }
    public var mode: Mode

    public init(directory: String? = nil, everySteps: Int = 0, everyEpoch: Bool = true, keepLast: Int = 3,
                monitor: String? = "test_accuracy", mode: Mode = .max) {
        self.directory = directory
        self.everySteps = everySteps
        self.everyEpoch = everyEpoch
        self.keepLast = keepLast
        self.monitor = monitor
        self.mode = mode
    }
}
