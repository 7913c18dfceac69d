import LockstepNN
import LockstepTensor

/// VGG (Simonyan & Zisserman 2015) as torchvision builds it: `features` (3×3 convs with
/// padding 1, optional BN, ReLU; "M" = 2×2 max-pool), `avgpool` (adaptive to 7×7, so any
/// input size works), `classifier` (Linear–ReLU–Dropout–Linear–ReLU–Dropout–Linear).
/// Names: `features.0.weight`, `classifier.6.bias`. Initialization as torchvision: convs He
/// normal (fan-out) with zero bias, BN γ=1 β=0, linears N(0, 0.01) with zero bias.
public enum VGG {
    /// A feature configuration entry: a conv's output channels, or a max-pool.
    public enum Item: Sendable, Equatable { case conv(Int), pool }

    /// torchvision's configurations "A" (VGG-11) and "D" (VGG-16).
    public static let configurations: [String: [Item]] = [
        "vgg11": [.conv(64), .pool, .conv(128), .pool, .conv(256), .conv(256), .pool, .conv(512), .conv(512), .pool,
                  .conv(512), .conv(512), .pool],
        "vgg16": [.conv(64), .conv(64), .pool, .conv(128), .conv(128), .pool, .conv(256), .conv(256), .conv(256), .pool,
                  .conv(512), .conv(512), .conv(512), .pool, .conv(512), .conv(512), .conv(512), .pool],
    ]

    /// `items` with the convolutions of stage s (between two pools) given `stageWidths[s]` channels.
    public static func narrowed(_ items: [Item], stageWidths: [Int]) throws -> [Item] {
        let stages = items.filter { $0 == .pool }.count
        guard stageWidths.count == stages, stageWidths.allSatisfy({ $0 > 0 }) else {
            throw LayerError(kind: "VGG", message: "widths must be \(stages) positive stage widths, got \(stageWidths)")
        }
        var stage = 0
        return items.map { item in
            if item == .pool { stage += 1; return .pool }
            return .conv(stageWidths[stage])
        }
    }

    /// `pooledSize` nil drops the adaptive pool (Keras's VGG flattens the last feature map directly).
    public static func make(features items: [Item], batchNorm: Bool, classifierWidth: Int = 4096, dropout: Float = 0.5,
                            pooledSize: Int? = 7, classes: Int) -> Sequential {
        var features: [any Layer] = []
        var channels = 0
        for item in items {
            switch item {
            case .pool: features.append(MaxPool2D(kernel: 2, stride: 2))
            case .conv(let c):
                features.append(Conv2D(outChannels: c, kernel: 3, padding: 1, weightInitializer: .heNormalFanOut))
                if batchNorm { features.append(BatchNorm()) }
                features.append(ReLU())
                channels = c
            }
        }
        precondition(channels > 0, "VGG needs at least one convolution")
        let linear = { (n: Int) in Dense(outputSize: n, weightInitializer: .normal(std: 0.01)) }
        let classifier = Sequential([linear(classifierWidth), ReLU(), Dropout(probability: dropout),
                                     linear(classifierWidth), ReLU(), Dropout(probability: dropout), linear(classes)])
        var children: [(String, any Layer)] = [("features", Sequential(features))]
        if let pooledSize { children.append(("avgpool", AdaptiveAvgPool2D(outputSize: (pooledSize, pooledSize)))) }
        return Sequential(named: children + [("flatten", Flatten()), ("classifier", classifier)])
    }
}
