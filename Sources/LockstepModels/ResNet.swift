import LockstepNN
import LockstepTensor

/// ResNet (He et al. 2016) as torchvision builds it, with torchvision's parameter names
/// (`conv1.weight`, `layer1.0.bn1.running_mean`, `layer2.0.downsample.0.weight`, `fc.bias`).
///
/// Basic blocks (ResNet-18/34): conv3×3(stride)–BN–ReLU–conv3×3–BN, + shortcut, ReLU.
/// Bottlenecks (ResNet-50): conv1×1–BN–ReLU–conv3×3(stride)–BN–ReLU–conv1×1(×4)–BN, + shortcut,
/// ReLU (stride on the 3×3, torchvision's "v1.5"). A projection shortcut (1×1 conv + BN) is
/// used when the stride or the width changes. Stem: 7×7/2 conv, BN, ReLU, 3×3/2 max-pool
/// (ImageNet) or a 3×3/1 conv without max-pool (`cifar`, for 32×32 inputs).
/// Initialization as torchvision: convs He normal (fan-out), BN γ=1 β=0, fc U(±1/√in).
public enum ResNet {
    public enum Block: Sendable { case basic, bottleneck }

    /// Stage depths of the standard variants.
    public static let depths: [String: (Block, [Int])] = [
        "resnet18": (.basic, [2, 2, 2, 2]), "resnet34": (.basic, [3, 4, 6, 3]), "resnet50": (.bottleneck, [3, 4, 6, 3]),
    ]

    /// A ResNet with `block`s, `layers` blocks per stage, stage widths `widths` (64, 128, 256,
    /// 512 for the standard nets), `classes` outputs, and the ImageNet or CIFAR stem.
    public static func make(block: Block, layers: [Int], widths: [Int] = [64, 128, 256, 512], classes: Int,
                            inputChannels: Int = 3, cifarStem: Bool = false) -> Sequential {
        precondition(layers.count == widths.count && !layers.isEmpty, "ResNet needs one width per stage")
        let expansion = block == .basic ? 1 : 4
        var children: [(String, any Layer)] = []
        if cifarStem {
            children.append(("conv1", Conv2D(outChannels: widths[0], kernel: 3, stride: 1, padding: 1, bias: false, weightInitializer: .heNormalFanOut)))
        } else {
            children.append(("conv1", Conv2D(outChannels: widths[0], kernel: 7, stride: 2, padding: 3, bias: false, weightInitializer: .heNormalFanOut)))
        }
        children.append(("bn1", BatchNorm()))
        children.append(("relu", ReLU()))
        if !cifarStem { children.append(("maxpool", MaxPool2D(kernel: 3, stride: 2, padding: 1))) }
        var inplanes = widths[0]
        for (stage, (depth, width)) in zip(layers, widths).enumerated() {
            var blocks: [any Layer] = []
            for i in 0..<depth {
                let stride = (stage > 0 && i == 0) ? 2 : 1
                let out = width * expansion
                let shortcut = (stride != 1 || inplanes != out)
                    ? Sequential { conv(out, 1, stride); BatchNorm() } : nil
                blocks.append(Residual(body: self.body(block, width: width, stride: stride), shortcut: shortcut, post: ReLU()))
                inplanes = out
            }
            children.append(("layer\(stage + 1)", Sequential(blocks)))
        }
        children.append(("avgpool", GlobalAvgPool()))
        children.append(("flatten", Flatten()))
        children.append(("fc", Dense(outputSize: classes, weightInitializer: .torchDefault)))
        return Sequential(named: children)
    }

    private static func conv(_ out: Int, _ kernel: Int, _ stride: Int) -> Conv2D {
        Conv2D(outChannels: out, kernel: kernel, stride: stride, padding: kernel / 2, bias: false, weightInitializer: .heNormalFanOut)
    }

    private static func body(_ block: Block, width: Int, stride: Int) -> Sequential {
        switch block {
        case .basic:
            return Sequential(named: [("conv1", conv(width, 3, stride)), ("bn1", BatchNorm()), ("relu", ReLU()),
                                      ("conv2", conv(width, 3, 1)), ("bn2", BatchNorm())])
        case .bottleneck:
            return Sequential(named: [("conv1", conv(width, 1, 1)), ("bn1", BatchNorm()), ("relu1", ReLU()),
                                      ("conv2", conv(width, 3, stride)), ("bn2", BatchNorm()), ("relu2", ReLU()),
                                      ("conv3", conv(width * 4, 1, 1)), ("bn3", BatchNorm())])
        }
    }
}
