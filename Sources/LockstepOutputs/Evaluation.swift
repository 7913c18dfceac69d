import LockstepData
import LockstepOperations

/// A model's mean loss and accuracy over a whole dataset, and its confusion matrix when the
/// targets are classes.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    /// Share of samples classified right; nil for a model that reconstructs its input.
    public var accuracy: Double?
    public var confusion: ConfusionMatrix?
    /// Class names in label order.
    public var classNames: [String] = []

    public init(loss: Double, accuracy: Double?, confusion: ConfusionMatrix? = nil, classNames: [String] = []) {
        self.loss = loss
        self.accuracy = accuracy
        self.confusion = confusion
        self.classNames = classNames
    }
}
