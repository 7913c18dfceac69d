import LockstepNN

/// Which network to build, as a recipe's `model:` section says.
public struct ModelSpec: Sendable, Equatable {
    /// Builder name: mlp, lenet5, vgg11, vgg11_bn, vgg16, vgg16_bn, resnet18, resnet34, resnet50.
    public var name: String
    /// Hidden layer widths (MLP).
    public var hidden: [Int]
    /// Hidden activation (MLP, LeNet).
    public var activation: String
    /// ResNet stem.
    public var stem: ResNet.Stem
    /// Stage widths overriding the standard ones, for narrow variants: ResNet's 4 stages,
    /// VGG's 5 (the channels of every convolution of a stage between two pools).
    public var widths: [Int]?
    /// Width of VGG's two hidden classifier layers (4096 when nil).
    public var classifierWidth: Int?
    /// Dropout probability: in VGG's classifier (0.5 when nil), after each MLP hidden layer (none when nil).
    public var dropout: Float?
    /// Stacked layers: recurrent (1 when nil), Transformer encoder blocks (2 when nil).
    public var layers: Int?
    /// Recurrent layers read both ways.
    public var bidirectional: Bool
    /// The Transformer's settings.
    public var transformer: TransformerSpec
    /// The autoencoder's code size.
    public var code: Int

    public init(name: String, hidden: [Int] = [512, 256], activation: String = "relu", stem: ResNet.Stem = .imagenet,
                widths: [Int]? = nil, dropout: Float? = nil, classifierWidth: Int? = nil, layers: Int? = nil,
                bidirectional: Bool = false, transformer: TransformerSpec = TransformerSpec(), code: Int = 32) {
        self.name = name
        self.hidden = hidden
        self.activation = activation
        self.stem = stem
        self.widths = widths
        self.dropout = dropout
        self.classifierWidth = classifierWidth
        self.layers = layers
        self.bidirectional = bidirectional
        self.transformer = transformer
        self.code = code
    }
}

/// Builds networks by name with PyTorch-compatible parameter names.
public enum ModelZoo {
    /// Builder names the zoo knows.
    public static let names = ["mlp", "lenet5", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "resnet18", "resnet34", "resnet50",
                               "resnet50-keras", "lstm", "gru", "rnn", "transformer", "autoencoder"]

    /// The network `spec` describes, for per-sample `inputShape` and `classes` outputs, built
    /// and bound to a parameter arena. Shape errors name the layer and both shapes.
    public static func build(_ spec: ModelSpec, inputShape: [Int], classes: Int) throws -> Model {
        try Model(inputShape: inputShape, root: try network(spec, inputShape: inputShape, classes: classes))
    }

    /// The unbuilt network.
    public static func network(_ spec: ModelSpec, inputShape: [Int], classes: Int) throws -> any Layer {
        let inputChannels = inputShape.first ?? 1
        guard classes > 0 else { throw LayerError(kind: "Model", message: "needs a positive number of classes, got \(classes)") }
        switch spec.name {
        case "mlp":
            return try MLP.make(hidden: spec.hidden, outputs: classes, activation: spec.activation, dropout: spec.dropout ?? 0)
        case "lstm", "gru", "rnn":
            return try RecurrentClassifier.make(cell: spec.name, hidden: spec.hidden, layers: spec.layers ?? 1, bidirectional: spec.bidirectional,
                                                dropout: spec.dropout ?? 0, inputShape: inputShape, classes: classes)
        case "autoencoder":
            return try Autoencoder.make(inputShape: inputShape, widths: spec.widths ?? [16, 32], code: spec.code)
        case "transformer":
            return try TransformerClassifier.make(spec.transformer, layers: spec.layers ?? 2, dropout: spec.dropout ?? 0.1,
                                                  inputShape: inputShape, classes: classes)
        case "lenet5", "lenet":
            return try LeNet.make(classes: classes, activation: spec.activation)
        case let name where name.hasPrefix("vgg"):
            let base = name.hasSuffix("_bn") ? String(name.dropLast(3)) : name
            guard var items = VGG.configurations[base] else { break }
            if let widths = spec.widths { items = try VGG.narrowed(items, stageWidths: widths) }
            return VGG.make(features: items, batchNorm: name.hasSuffix("_bn"), classifierWidth: spec.classifierWidth ?? 4096,
                            dropout: spec.dropout ?? 0.5, classes: classes)
        case let name where ResNet.depths[name] != nil || name == "resnet50-keras":
            let keras = name.hasSuffix("-keras")
            let (block, layers) = ResNet.depths[keras ? "resnet50" : name]!
            let widths = spec.widths ?? [64, 128, 256, 512]
            guard widths.count == 4, widths.allSatisfy({ $0 > 0 }) else {
                throw LayerError(kind: "ResNet", message: "widths must be 4 positive stage widths, got \(widths)")
            }
            return ResNet.make(block: block, layers: layers, widths: widths, classes: classes, inputChannels: inputChannels,
                               cifarStem: spec.stem == .cifar, variant: keras ? .keras() : ResNet.Variant())
        default: break
        }
        throw LayerError(kind: "Model", message: "unknown model \"\(spec.name)\"; known: \(names.joined(separator: ", "))")
    }
}
