import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// Softmax followed by cross-entropy, fused: L = (1/N) Σ_n Σ_c −q_n,c · log softmax(x_n)_c,
/// with targets q = (1 − ε)·onehot(label) + ε/K (label smoothing ε, 0 by default), as
/// `F.cross_entropy(x, t, label_smoothing=ε)`.
///
/// Takes logits [N, K] and class indices. Computing log-softmax with the row maximum
/// subtracted keeps it finite for any logits. Gradient: (softmax(x) − q) / N.
public final class SoftmaxCrossEntropy: Loss {
    public var name: String { "cross_entropy" }
    /// Label smoothing ε in [0, 1).
    public let labelSmoothing: Float
    private let gradient = Tensor(shape: [0])

    public init(labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing must be in [0, 1), got \(labelSmoothing)")
        self.labelSmoothing = labelSmoothing
    }

    public func forward(_ prediction: Tensor, _ targets: Targets) throws -> Float {
        guard case .classes(let labels) = targets else {
            throw LossError("cross_entropy: targets must be class indices")
        }
        let n = prediction.shape[0], k = prediction.count / max(n, 1)
        guard labels.count == n else {
            throw LossError("cross_entropy: \(labels.count) labels for a batch of \(n)")
        }
        gradient.resize(prediction.shape)
        let x = prediction.data, g = gradient.data
        let invN = 1 / Float(n)
        var total = 0.0
        for r in 0..<n {
            let label = Int(labels[r])
            guard label >= 0, label < k else {
                throw LossError("cross_entropy: label \(label) at batch row \(r) is outside 0..<\(k) (the model has \(k) outputs)")
            }
            let xr = x + r * k, gr = g + r * k
            let (m, s) = Softmax.exponentials(xr, gr, count: k)
            let lse = m + logf(s)
            let eps = labelSmoothing, uniform = eps / Float(k)
            var smooth: Double = 0
            if eps > 0 { for c in 0..<k { smooth += Double(lse - xr[c]) } }
            total += Double(1 - eps) * Double(lse - xr[label]) + Double(uniform) * smooth
            let inv = invN / s
            for c in 0..<k { gr[c] = gr[c] * inv - uniform * invN }
            gr[label] -= (1 - eps) * invN
        }
        return Float(total / Double(n))
    }

    public func backward() -> Tensor { gradient }
}
