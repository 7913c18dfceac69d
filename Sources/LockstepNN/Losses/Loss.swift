import LockstepTensor

/// What a prediction is compared with.
public enum Targets {
    /// One class index per sample, in 0..<classes.
    case classes([Int32])
    /// A target tensor of the prediction's shape (regression).
    case values(Tensor)
}

/// A training objective, averaged over the batch (and over outputs where PyTorch does).
///
/// `forward` returns the mean loss and caches what `backward` needs; `backward` returns
/// ∂loss/∂prediction. Because each rank averages over its own equal-sized slice and the
/// gradient allreduce averages over ranks, the result is the mean over the global batch.
public protocol Loss: AnyObject {
    /// Name used in recipes and messages.
    var name: String { get }
    /// Mean loss of `prediction` [N, …] against `targets`.
    func forward(_ prediction: Tensor, _ targets: Targets) throws -> Float
    /// Gradient of the last `forward`'s mean loss with respect to its prediction.
    func backward() -> Tensor
}

/// A prediction/target mismatch a user can cause (wrong label range, wrong target shape).
public struct LossError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Loss {
    /// The value targets of an elementwise loss, which must have the prediction's shape.
    func valueTargets(_ targets: Targets, for prediction: Tensor) throws -> Tensor {
        guard case .values(let t) = targets, t.shape == prediction.shape else {
            throw LossError("\(name): targets must be values of the prediction's shape \(prediction.shape)")
        }
        return t
    }
}
