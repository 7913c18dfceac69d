import LockstepNN
import LockstepTensor

/// Multilayer perceptron: Flatten, then (Dense, activation[, Dropout]) per hidden width, then a
/// Dense output layer producing logits. Dense layers are He-initialized for ReLU, Glorot otherwise.
///
/// Parameter names follow `nn.Sequential(nn.Flatten(), nn.Linear, act, …)`: `1.weight`,
/// `1.bias`, `3.weight`, …
public enum MLP {
    public static func make(hidden: [Int], outputs: Int, activation: String = "relu", dropout: Float = 0) throws -> Sequential {
        guard outputs > 0 else { throw LayerError(kind: "MLP", message: "needs a positive number of outputs, got \(outputs)") }
        if let bad = hidden.first(where: { $0 <= 0 }) {
            throw LayerError(kind: "MLP", message: "hidden widths must be positive, got \(bad) in \(hidden)")
        }
        let initializer: Initializer = activation == "relu" ? .heNormal : .glorotUniform
        var layers: [any Layer] = [Flatten()]
        for width in hidden {
            layers.append(Dense(outputSize: width, weightInitializer: initializer))
            layers.append(try Activations.make(activation))
            if dropout > 0 { layers.append(Dropout(probability: dropout)) }
        }
        layers.append(Dense(outputSize: outputs, weightInitializer: .glorotUniform))
        return Sequential(layers)
    }
}
