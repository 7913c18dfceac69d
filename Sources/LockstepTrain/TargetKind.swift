import LockstepData
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTensor

/// What a batch's predictions are compared with.
public enum TargetKind: Sendable, Equatable {
    /// The labels as class indices (cross-entropy on logits); accuracy and a confusion matrix are kept.
    case classes
    /// One-hot rows of the label, of the output's shape (MSE, MAE, binary cross-entropy on a classifier).
    case oneHot
    /// The inputs themselves (an autoencoder): no accuracy, only the reconstruction loss.
    case inputs

    /// Whether the outputs are class scores whose accuracy means something.
    public var classifies: Bool { self != .inputs }

    /// The targets of `batch` for a model with `classes` outputs.
    public func targets(for batch: Batch, classes: Int) -> Targets {
        switch self {
        case .inputs: return .values(batch.inputs)
        case .classes: return .classes(batch.labels)
        case .oneHot:
            let t = Tensor(shape: [batch.labels.count, classes])
            for (r, label) in batch.labels.enumerated() { t[r * classes + Int(label)] = 1 }
            return .values(t)
        }
    }
}
