import LockstepTensor

/// Average pooling to a fixed output size, as `nn.AdaptiveAvgPool2d((outH, outW))`: output
/// cell (i, j) averages rows ⌊i·H/outH⌋ ..< ⌈(i+1)·H/outH⌉ (likewise columns), so any input
/// size maps to the same output size (VGG's 7×7 before the classifier). `GlobalAvgPool()` is
/// the 1×1 case (ResNet's `avgpool`), output [N, C, 1, 1].
public final class AdaptiveAvgPool2D: Layer {
    public var kind: String { outH == 1 && outW == 1 ? "GlobalAvgPool" : "AdaptiveAvgPool2D" }
    public var parameters: [Parameter] { [] }
    public let outH: Int, outW: Int
    private var inputShape: [Int] = []
    private var bins: [(rows: Range<Int>, cols: Range<Int>)] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(outputSize: (Int, Int)) {
        precondition(outputSize.0 > 0 && outputSize.1 > 0, "AdaptiveAvgPool2D output size must be positive")
        (outH, outW) = outputSize
    }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[1] > 0, inputShape[2] > 0 else {
            throw LayerError.shape(self, expected: "[C, H, W]", got: inputShape)
        }
        let h = inputShape[1], w = inputShape[2]
        func range(_ i: Int, _ inSize: Int, _ outSize: Int) -> Range<Int> {
            (i * inSize / outSize)..<(((i + 1) * inSize + outSize - 1) / outSize)
        }
        bins = (0..<outH).flatMap { i in (0..<outW).map { j in (range(i, h, outH), range(j, w, outW)) } }
        return [inputShape[0], outH, outW]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let c = input.shape[1], h = input.shape[2], w = input.shape[3]
        let planes = input.shape[0] * c, ohw = outH * outW
        inputShape = input.shape
        output.resize([input.shape[0], c, outH, outW])
        for p in 0..<planes {
            let x = input.data + p * h * w, y = output.data + p * ohw
            for (q, bin) in bins.enumerated() {
                var s: Float = 0
                for i in bin.rows { for j in bin.cols { s += x[i * w + j] } }
                y[q] = s / Float(bin.rows.count * bin.cols.count)
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        let c = inputShape[1], h = inputShape[2], w = inputShape[3]
        let planes = inputShape[0] * c, ohw = outH * outW
        inputGradient.resize(inputShape)
        inputGradient.fill(0)
        for p in 0..<planes {
            let dx = inputGradient.data + p * h * w, dy = outputGradient.data + p * ohw
            for (q, bin) in bins.enumerated() {
                let v = dy[q] / Float(bin.rows.count * bin.cols.count)
                for i in bin.rows { for j in bin.cols { dx[i * w + j] += v } }
            }
        }
        return inputGradient
    }
}

/// Global average pooling: [N, C, H, W] → [N, C, 1, 1].
public func GlobalAvgPool() -> AdaptiveAvgPool2D { AdaptiveAvgPool2D(outputSize: (1, 1)) }
