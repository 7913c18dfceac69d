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
    /// The first layers: `imagenet` (7×7 convolution, stride 2, then a 3×3 max-pool) or
    /// `cifar` (3×3 convolution, stride 1, no pool) for small images.
    public enum Stem: String, CaseIterable, Sendable { case imagenet, cifar }

    /// Stage depths of the standard variants.
    public static let depths: [String: (Block, [Int])] = [
        "resnet18": (.basic, [2, 2, 2, 2]), "resnet34": (.basic, [3, 4, 6, 3]), "resnet50": (.bottleneck, [3, 4, 6, 3]),
    ]

    /// Where keras.applications' ResNet50 differs from torchvision's: every conv has a bias,
    /// BatchNorm ε is 1.001e-5, a bottleneck strides on its first 1×1 conv (ResNet v1), and the
    /// stem's width is set on its own.
    public struct Variant: Sendable {
        public var convBias = false
        public var batchNormEpsilon: Float = 1e-5
        public var strideOnFirst1x1 = false
        public var stemWidth: Int?
        public init() {}
        /// keras.applications.ResNet50's conventions.
        public static func keras(stemWidth: Int? = nil) -> Variant {
            var v = Variant()
            v.convBias = true
            v.batchNormEpsilon = 1.001e-5
            v.strideOnFirst1x1 = true
            v.stemWidth = stemWidth
            return v
        }
    }

    /// A ResNet with `block`s, `layers` blocks per stage, stage widths `widths` (64, 128, 256,
    /// 512 for the standard nets), `classes` outputs, and the ImageNet or CIFAR stem.
    public static func make(block: Block, layers: [Int], widths: [Int] = [64, 128, 256, 512], classes: Int,
                            inputChannels: Int = 3, cifarStem: Bool = false, variant: Variant = Variant()) -> Sequential {
        precondition(layers.count == widths.count && !layers.isEmpty, "ResNet needs one width per stage")
        let expansion = block == .basic ? 1 : 4
        let stem = variant.stemWidth ?? widths[0]
        var children: [(String, any Layer)] = []
        if cifarStem {
            children.append(("conv1", Conv2D(outChannels: stem, kernel: 3, stride: 1, padding: 1, bias: variant.convBias, weightInitializer: .heNormalFanOut)))
        } else {
            children.append(("conv1", Conv2D(outChannels: stem, kernel: 7, stride: 2, padding: 3, bias: variant.convBias, weightInitializer: .heNormalFanOut)))
        }
        children.append(("bn1", BatchNorm(epsilon: variant.batchNormEpsilon)))
        children.append(("relu", ReLU()))
        if !cifarStem { children.append(("maxpool", MaxPool2D(kernel: 3, stride: 2, padding: 1))) }
        var inplanes = stem
        for (stage, (depth, width)) in zip(layers, widths).enumerated() {
            var blocks: [any Layer] = []
            for i in 0..<depth {
                let stride = (stage > 0 && i == 0) ? 2 : 1
                let out = width * expansion
                let shortcut = (stride != 1 || inplanes != out)
                    ? Sequential { conv(out, 1, stride, variant); BatchNorm(epsilon: variant.batchNormEpsilon) } : nil
                blocks.append(Residual(body: self.body(block, width: width, stride: stride, variant), shortcut: shortcut, post: ReLU()))
                inplanes = out
            }
            children.append(("layer\(stage + 1)", Sequential(blocks)))
        }
        children.append(("avgpool", GlobalAvgPool()))
        children.append(("flatten", Flatten()))
        children.append(("fc", Dense(outputSize: classes, weightInitializer: .torchDefault)))
        return Sequential(named: children)
    }

    private static func conv(_ out: Int, _ kernel: Int, _ stride: Int, _ v: Variant) -> Conv2D {
        Conv2D(outChannels: out, kernel: kernel, stride: stride, padding: kernel / 2, bias: v.convBias, weightInitializer: .heNormalFanOut)
    }

    private static func body(_ block: Block, width: Int, stride: Int, _ v: Variant) -> Sequential {
        let bn = { BatchNorm(epsilon: v.batchNormEpsilon) }
        switch block {
        case .basic:
            return Sequential(named: [("conv1", conv(width, 3, stride, v)), ("bn1", bn()), ("relu", ReLU()),
                                      ("conv2", conv(width, 3, 1, v)), ("bn2", bn())])
        case .bottleneck:
            let (s1, s2) = v.strideOnFirst1x1 ? (stride, 1) : (1, stride)
            return Sequential(named: [("conv1", conv(width, 1, s1, v)), ("bn1", bn()), ("relu1", ReLU()),
                                      ("conv2", conv(width, 3, s2, v)), ("bn2", bn()), ("relu2", ReLU()),
                                      ("conv3", conv(width * 4, 1, 1, v)), ("bn3", bn())])
        }
    }
}
