import Foundation
import LockstepTensor

/// Multi-head self-attention (Vaswani et al. 2017), PyTorch's
/// `nn.MultiheadAttention(D, heads, dropout=p, batch_first=True)` called as `attn(x, x, x)`:
///
///     [Q K V] = x·W_inᵀ + b_in                        each [N, T, D], split into `heads` of D/heads
///     A_h = softmax(Q_h·K_hᵀ / √(D/heads) + mask)       [T, T] per sample and head, rows sum to 1
///     y = [dropout(A_1)·V_1 … dropout(A_H)·V_H]·W_outᵀ + b_out
///
/// The causal mask hides later positions (j > i) from position i; a row's padding
/// (`ForwardContext.padding`) is hidden from every position, as PyTorch's `key_padding_mask`.
/// Dropout acts on the attention weights in training, as PyTorch's, with masks keyed by
/// sample (`Dropout`).
///
/// Shapes: x [N, T, D], y [N, T, D]. Parameters, PyTorch's names: `in_proj_weight` [3D, D]
/// (Glorot uniform), `in_proj_bias` [3D] (zeros), `out_proj.weight` [D, D] (U(±1/√D)),
/// `out_proj.bias` [D] (zeros).
public final class MultiHeadAttention: Layer, KeyedLayer {
    public var kind: String { "MultiHeadAttention" }
    public let heads: Int
    public let causal: Bool
    public var layerKey: UInt64 = 0
    public private(set) var inProjWeight: Parameter!
    public private(set) var inProjBias: Parameter!
    /// The output projection, `out_proj` (made in build, once D is known).
    public private(set) var outProjection: Dense!
    private let dropout: Dropout
    private var width = 0
    private var input: Tensor?
    /// [N·T, 3D]: Q, K, V side by side per position; in backward, their gradients.
    private let qkv = Tensor(shape: [0])
    private let qkvGradient = Tensor(shape: [0])
    /// Softmax weights [N, heads·T·T], and what dropout made of them.
    private let weights = Tensor(shape: [0])
    private var dropped = Tensor(shape: [0])
    /// The heads' outputs side by side, [N, T, D].
    private let context = Tensor(shape: [0])
    private let weightsGradient = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(heads: Int, causal: Bool = false, dropout: Float = 0) {
        precondition(heads > 0, "MultiHeadAttention needs heads > 0, got \(heads)")
        self.heads = heads
        self.causal = causal
        self.dropout = Dropout(probability: dropout)
    }

    public var parameters: [Parameter] { inProjWeight == nil ? [] : [inProjWeight, inProjBias] + outProjection.parameters }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, let d = inputShape.last, inputShape.allSatisfy({ $0 > 0 }), d % heads == 0 else {
            throw LayerError.shape(self, expected: "[time, features] with features divisible by the \(heads) heads", got: inputShape)
        }
        width = d
        inProjWeight = Parameter(name: "in_proj_weight", shape: [3 * d, d], initializer: .glorotUniform)
        inProjBias = Parameter(name: "in_proj_bias", shape: [3 * d], initializer: .zeros)
        outProjection = Dense(outputSize: d, weightInitializer: .uniform(bound: 1 / Float(d).squareRoot()))
        _ = try outProjection.build(inputShape: inputShape)
        for p in outProjection.parameters { p.name = "out_proj." + p.name }
        dropout.layerKey = CounterRNG.mix(layerKey ^ 0xA77E)
        return inputShape
    }

    public func forward(_ input: Tensor, _ forwardContext: ForwardContext) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], d = width, dk = d / heads
        self.input = input
        qkv.resize([n * steps, 3 * d])
        BLAS.sgemm(transB: true, m: n * steps, n: 3 * d, k: d, a: input.data, lda: d, b: inProjWeight.value.data, ldb: d,
                   c: qkv.data, ldc: 3 * d)
        VectorOps.addRowVector(inProjBias.value.data, to: qkv.data, rows: n * steps, cols: 3 * d)
        weights.resize([n, heads * steps * steps])
        let scale = 1 / Float(dk).squareRoot()
        for s in 0..<n {
            let keys = forwardContext.length(s, of: steps)
            for h in 0..<heads {
                let q = qkv.data + s * steps * 3 * d + h * dk, a = weights.data + (s * heads + h) * steps * steps
                // S = Q·Kᵀ/√dk, then a masked softmax per row.
                BLAS.sgemm(transB: true, m: steps, n: steps, k: dk, alpha: scale, a: q, lda: 3 * d, b: q + d, ldb: 3 * d,
                           c: a, ldc: steps)
                for i in 0..<steps { Self.softmax(a + i * steps, count: min(causal ? i + 1 : steps, keys), width: steps) }
            }
        }
        dropped = dropout.forward(weights, forwardContext)
        context.resize([n, steps, d])
        for s in 0..<n {
            for h in 0..<heads {
                let v = qkv.data + s * steps * 3 * d + 2 * d + h * dk, a = dropped.data + (s * heads + h) * steps * steps
                BLAS.sgemm(m: steps, n: dk, k: steps, a: a, lda: steps, b: v, ldb: 3 * d, c: context.data + s * steps * d + h * dk, ldc: d)
            }
        }
        return outProjection.forward(context, forwardContext)
    }

    /// Softmax over the first `count` of a row's `width` entries; the rest (masked) become 0.
    private static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int, width: Int) {
        var top = -Float.infinity
        for j in 0..<count { top = max(top, row[j]) }
        var sum: Float = 0
        for j in 0..<count { row[j] = expf(row[j] - top); sum += row[j] }
        let inverse = 1 / sum
        for j in 0..<count { row[j] *= inverse }
        for j in count..<width { row[j] = 0 }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("MultiHeadAttention.backward before forward") }
        let n = input.shape[0], steps = input.shape[1], d = width, dk = d / heads
        // The heads' outputs' gradient, read in place from the output projection's input gradient.
        let dContext = outProjection.backward(outputGradient, needsInputGradient: true, nil)!
        qkvGradient.resize([n * steps, 3 * d])
        weightsGradient.resize(weights.shape)
        // dA' = dO·Vᵀ and dV = A'ᵀ·dO per sample and head.
        for s in 0..<n {
            for h in 0..<heads {
                let base = s * steps * 3 * d + h * dk, o = (s * heads + h) * steps * steps
                let dO = dContext.data + s * steps * d + h * dk
                BLAS.sgemm(transB: true, m: steps, n: steps, k: dk, a: dO, lda: d, b: qkv.data + base + 2 * d, ldb: 3 * d,
                           c: weightsGradient.data + o, ldc: steps)
                BLAS.sgemm(transA: true, m: steps, n: dk, k: steps, a: dropped.data + o, lda: steps, b: dO, ldb: d,
                           c: qkvGradient.data + base + 2 * d, ldc: 3 * d)
            }
        }
        let dA = dropout.backward(weightsGradient, needsInputGradient: true, nil)!
        let scale = 1 / Float(dk).squareRoot(), dAp = dA.data
        for s in 0..<n {
            for h in 0..<heads {
                let base = s * steps * 3 * d + h * dk, o = (s * heads + h) * steps * steps
                // dS = A ⊙ (dA − Σ_j dA·A) / √dk, in place in the weights' gradient.
                let a = weights.data + o, dS = weightsGradient.data + o
                for i in 0..<steps {
                    var dot: Float = 0
                    for j in 0..<steps { dot += dAp[o + i * steps + j] * a[i * steps + j] }
                    for j in 0..<steps { dS[i * steps + j] = a[i * steps + j] * (dAp[o + i * steps + j] - dot) * scale }
                }
                // dQ = dS·K;  dK = dSᵀ·Q
                BLAS.sgemm(m: steps, n: dk, k: steps, a: dS, lda: steps, b: qkv.data + base + d, ldb: 3 * d,
                           c: qkvGradient.data + base, ldc: 3 * d)
                BLAS.sgemm(transA: true, m: steps, n: dk, k: steps, a: dS, lda: steps, b: qkv.data + base, ldb: 3 * d,
                           c: qkvGradient.data + base + d, ldc: 3 * d)
            }
        }
        let rows = n * steps
        if !inProjWeight.isFrozen {
            BLAS.sgemm(transA: true, m: 3 * d, n: d, k: rows, a: qkvGradient.data, lda: 3 * d, b: input.data, ldb: d,
                       c: inProjWeight.gradient.data, ldc: d)
        }
        if !inProjBias.isFrozen { VectorOps.sumRows(qkvGradient.data, rows: rows, cols: 3 * d, into: inProjBias.gradient.data) }
        guard needsInputGradient else { return nil }
        inputGradient.resize(input.shape)
        BLAS.sgemm(m: rows, n: d, k: 3 * d, a: qkvGradient.data, lda: 3 * d, b: inProjWeight.value.data, ldb: d,
                   c: inputGradient.data, ldc: d)
        return inputGradient
    }
}
