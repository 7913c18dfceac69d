import LockstepNN

/// Which network to build, as a recipe's `model:` section says.
public struct ModelSpec: Sendable, Equatable {
    /// Builder name (`mlp`).
    public var name: String
    /// Hidden layer widths (MLP).
    public var hidden: [Int]
    /// Hidden activation (MLP).
    public var activation: String

    public init(name: String, hidden: [Int] = [512, 256], activation: String = "relu") {
        self.name = name
        self.hidden = hidden
        self.activation = activation
    }
}

/// Builds networks by name with PyTorch-compatible parameter names.
public enum ModelZoo {
    /// Builder names the zoo knows.
    public static let names = ["mlp"]

    /// The network `spec` describes, for per-sample `inputShape` and `classes` outputs, built
    /// and bound to a parameter arena. Shape errors name the layer and both shapes.
    public static func build(_ spec: ModelSpec, inputShape: [Int], classes: Int) throws -> Model {
        let root: any Layer
        switch spec.name {
        case "mlp": root = try MLP.make(hidden: spec.hidden, outputs: classes, activation: spec.activation)
        default: throw LayerError(kind: "Model", message: "unknown model \"\(spec.name)\"; known: \(names.joined(separator: ", "))")
        }
        return try Model(inputShape: inputShape, root: root)
    }
}
