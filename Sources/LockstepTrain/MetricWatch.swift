/// A metric watched over evaluations, as Keras's `EarlyStopping` and `ReduceLROnPlateau` do:
/// the best value so far, and how many evaluations have passed since a value beat it by more
/// than `minDelta`. Every rank observes the same (allreduced) values, so every rank decides alike.
public struct MetricWatch: Sendable, Equatable {
    /// What is watched; losses improve downwards, accuracies upwards.
    public enum Metric: String, Sendable, CaseIterable {
        case testLoss = "test_loss", testAccuracy = "test_accuracy", trainLoss = "train_loss", trainAccuracy = "train_accuracy"

        public var improvesDownwards: Bool { rawValue.hasSuffix("loss") }
        /// Known at every evaluation of the test set (else at epoch ends only).
        public var needsTestSet: Bool { rawValue.hasPrefix("test") }
    }

    public let metric: Metric
    public let patience: Int
    public let minDelta: Double
    public private(set) var best: Double?
    /// Evaluations since the best one.
    public private(set) var waited = 0

    public init(metric: Metric, patience: Int, minDelta: Double) {
        self.metric = metric
        self.patience = patience
        self.minDelta = minDelta
    }

    /// Takes the next value; true when `patience` evaluations in a row did not improve on the best.
    public mutating func observe(_ value: Double) -> Bool {
        let better = best.map { metric.improvesDownwards ? value < $0 - minDelta : value > $0 + minDelta } ?? true
        if better { best = value; waited = 0 } else { waited += 1 }
        return waited >= patience
    }

    /// Starts counting again (after the learning rate was reduced).
    public mutating func restartCount() { waited = 0 }

    /// The state a checkpoint keeps, under `prefix`, so a resumed run counts on.
    public func state(prefix: String) -> [String: Double] {
        var s = [prefix + ".waited": Double(waited)]
        if let best { s[prefix + ".best"] = best }
        return s
    }

    public mutating func restore(_ state: [String: Double], prefix: String) {
        best = state[prefix + ".best"]
        waited = Int(state[prefix + ".waited"] ?? 0)
    }
}
