import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// Softmax over the last dimension: y_i = e^(x_i − max x) / Σ_j e^(x_j − max x).
///
/// Shapes: x, y [N, K]. Backward: dx = y ⊙ (dy − Σ_j dy_j y_j).
/// For training a classifier use `SoftmaxCrossEntropy` on logits instead (fused, stable).
public final class Softmax: Layer {
    public var kind: String { "Softmax" }
    public var parameters: [Parameter] { [] }
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 else {
            throw LayerError.shape(self, expected: "[classes]", got: inputShape)
        }
        return inputShape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        output.resize(input.shape)
        let n = input.shape[0], k = input.count / max(n, 1)
        Softmax.rows(input.data, output.data, rows: n, cols: k)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        inputGradient.resize(output.shape)
        let n = output.shape[0], k = output.count / max(n, 1)
        let y = output.data, dy = outputGradient.data, dx = inputGradient.data
        for r in 0..<n {
            let o = r * k
            var dot: Float = 0
            for c in 0..<k { dot += dy[o + c] * y[o + c] }
            for c in 0..<k { dx[o + c] = y[o + c] * (dy[o + c] - dot) }
        }
        return inputGradient
    }

    /// Row-wise stable softmax of a [rows, cols] matrix into `y` (may alias `x`).
    @inlinable
    public static func rows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let yr = y + r * cols
            let inv = 1 / exponentials(x + r * cols, yr, count: cols).sum
            for c in 0..<cols { yr[c] *= inv }
        }
    }

    /// The unnormalized softmax of one row, kept finite for any input by subtracting the
    /// row's maximum: writes e^(xᵢ − max x) into `y` (may alias `x`) and returns max x and
    /// the sum of the exponentials (so log Σ e^xᵢ = max + log sum).
    @inlinable
    public static func exponentials(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                    count: Int) -> (max: Float, sum: Float) {
        var m = -Float.infinity
        for c in 0..<count { m = max(m, x[c]) }
        var s: Float = 0
        for c in 0..<count { let e = expf(x[c] - m); y[c] = e; s += e }
        return (m, s)
    }
}
