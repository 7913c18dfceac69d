import LockstepNN
import LockstepOptimizers

extension Recipe.OptimizerSettings {
    /// The optimizer these settings describe.
    public func make() -> any Optimizer {
        switch name {
        case "adam", "adamw":
            return Adam(learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2), epsilon: Float(epsilon),
                        weightDecay: Float(weightDecay), decoupledWeightDecay: name == "adamw")
        default:
            return SGD(learningRate: Float(learningRate), momentum: Float(momentum), dampening: Float(dampening),
                       nesterov: nesterov, weightDecay: Float(weightDecay))
        }
    }
}

/// The loss called `name` (validated by `Recipe`).
public func makeLoss(_ name: String) -> any Loss {
    name == "mse" ? MeanSquaredError() : SoftmaxCrossEntropy()
}
