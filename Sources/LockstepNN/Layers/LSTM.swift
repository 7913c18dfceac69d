import Foundation
import LockstepTensor

/// Long short-term memory (Hochreiter & Schmidhuber 1997), one layer, one direction, batch
/// first: PyTorch's `nn.LSTM(I, H, batch_first=True)` with its parameter names and layouts.
///
///     a_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh          [N, 4H], gates in order i, f, g, o
///     i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
///     c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t);  h_0 = c_0 = 0
///
/// Shapes: x [N, T, I]; y [N, T, H] (`returnSequences`) or h_T [N, H]. Parameters
/// `weight_ih_l0` [4H, I], `weight_hh_l0` [4H, H], `bias_ih_l0`, `bias_hh_l0` [4H], drawn
/// U(−1/√H, 1/√H) as PyTorch. Backward is backpropagation through time over the whole
/// sequence: the input projection of every step is one GEMM each way, the recurrence one GEMM
/// per step.
public final class LSTM: Layer {
    public var kind: String { "LSTM" }
    public let hiddenSize: Int
    public let returnSequences: Bool
    public private(set) var weightIH: Parameter!
    public private(set) var weightHH: Parameter!
    public private(set) var biasIH: Parameter!
    public private(set) var biasHH: Parameter!
    private var inputSize = 0
    private var input: Tensor?
    /// Time-major caches of the forward pass: gate activations [T, N, 4H], cells and hidden
    /// states [T + 1, N, H] (index 0 holds the zero initial state).
    private var gates: [Float] = []
    private var cells: [Float] = []
    private var hidden: [Float] = []
    private var preactivation: [Float] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(hiddenSize: Int, returnSequences: Bool = true) {
        precondition(hiddenSize > 0, "LSTM hiddenSize must be positive, got \(hiddenSize)")
        self.hiddenSize = hiddenSize
        self.returnSequences = returnSequences
    }

    public var parameters: [Parameter] { weightIH == nil ? [] : [weightIH, weightHH, biasIH, biasHH] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time, features]", got: inputShape)
        }
        inputSize = inputShape[1]
        let h = hiddenSize, bound = 1 / Float(h).squareRoot()
        weightIH = Parameter(name: "weight_ih_l0", shape: [4 * h, inputSize], initializer: .uniform(bound: bound))
        weightHH = Parameter(name: "weight_hh_l0", shape: [4 * h, h], initializer: .uniform(bound: bound))
        biasIH = Parameter(name: "bias_ih_l0", shape: [4 * h], initializer: .uniform(bound: bound))
        biasHH = Parameter(name: "bias_hh_l0", shape: [4 * h], initializer: .uniform(bound: bound))
        return returnSequences ? [inputShape[0], h] : [h]
    }

    private static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g4 = 4 * h
        self.input = input
        // Input projections of every (sample, step) at once: rows n·T + t, batch-first order.
        resize(&preactivation, n * steps * g4)
        preactivation.withUnsafeMutableBufferPointer { p in
            BLAS.sgemm(transB: true, m: n * steps, n: g4, k: inputSize, a: input.data, lda: inputSize,
                       b: weightIH.value.data, ldb: inputSize, c: p.baseAddress!, ldc: g4)
        }
        resize(&gates, steps * n * g4)
        resize(&cells, (steps + 1) * n * h)
        resize(&hidden, (steps + 1) * n * h)
        for i in 0..<(n * h) { cells[i] = 0; hidden[i] = 0 }
        let bih = biasIH.value.data, bhh = biasHH.value.data
        gates.withUnsafeMutableBufferPointer { gp in
            cells.withUnsafeMutableBufferPointer { cp in
                hidden.withUnsafeMutableBufferPointer { hp in
                    preactivation.withUnsafeBufferPointer { xp in
                        for t in 0..<steps {
                            let a = gp.baseAddress! + t * n * g4
                            let hPrev = hp.baseAddress! + t * n * h, cPrev = cp.baseAddress! + t * n * h
                            let hNext = hp.baseAddress! + (t + 1) * n * h, cNext = cp.baseAddress! + (t + 1) * n * h
                            // a = h_{t−1}·W_hhᵀ, then + x-projection + both biases, then the gates.
                            BLAS.sgemm(transB: true, m: n, n: g4, k: h, a: hPrev, lda: h, b: weightHH.value.data, ldb: h,
                                       c: a, ldc: g4)
                            for s in 0..<n {
                                let row = a + s * g4, x = xp.baseAddress! + (s * steps + t) * g4
                                for j in 0..<g4 { row[j] += x[j] + bih[j] + bhh[j] }
                                for j in 0..<h {
                                    let i = Self.sigmoid(row[j]), f = Self.sigmoid(row[h + j])
                                    let g = tanhf(row[2 * h + j]), o = Self.sigmoid(row[3 * h + j])
                                    row[j] = i; row[h + j] = f; row[2 * h + j] = g; row[3 * h + j] = o
                                    let c = f * cPrev[s * h + j] + i * g
                                    cNext[s * h + j] = c
                                    hNext[s * h + j] = o * tanhf(c)
                                }
                            }
                        }
                    }
                }
            }
        }
        output.resize(returnSequences ? [n, steps, h] : [n, h])
        for s in 0..<n {
            for t in (returnSequences ? 0 : steps - 1)..<steps {
                let dst = output.data + (returnSequences ? (s * steps + t) * h : s * h)
                hidden.withUnsafeBufferPointer { dst.update(from: $0.baseAddress! + ((t + 1) * n + s) * h, count: h) }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard let input else { preconditionFailure("LSTM.backward before forward") }
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g4 = 4 * h
        let dy = outputGradient.data
        // ∂L/∂a for every (sample, step), batch-first rows n·T + t, reusing the projection buffer.
        var dh = [Float](repeating: 0, count: n * h), dc = [Float](repeating: 0, count: n * h)
        var dhPrev = [Float](repeating: 0, count: n * h)
        let dWhh = weightHH.gradient.data
        if !weightHH.isFrozen { dWhh.update(repeating: 0, count: g4 * h) }
        var da = [Float](repeating: 0, count: n * g4)
        gates.withUnsafeBufferPointer { gp in
            cells.withUnsafeBufferPointer { cp in
                hidden.withUnsafeBufferPointer { hp in
                    preactivation.withUnsafeMutableBufferPointer { dA in
                        for t in stride(from: steps - 1, through: 0, by: -1) {
                            let a = gp.baseAddress! + t * n * g4
                            let cPrev = cp.baseAddress! + t * n * h, c = cp.baseAddress! + (t + 1) * n * h
                            da.withUnsafeMutableBufferPointer { dap in
                                let d = dap.baseAddress!
                                for s in 0..<n {
                                    let row = a + s * g4, r = d + s * g4
                                    for j in 0..<h {
                                        var gradH = dh[s * h + j]
                                        if returnSequences { gradH += dy[(s * steps + t) * h + j] }
                                        else if t == steps - 1 { gradH += dy[s * h + j] }
                                        let i = row[j], f = row[h + j], g = row[2 * h + j], o = row[3 * h + j]
                                        let tc = tanhf(c[s * h + j])
                                        let gradC = dc[s * h + j] + gradH * o * (1 - tc * tc)
                                        r[j] = gradC * g * i * (1 - i)
                                        r[h + j] = gradC * cPrev[s * h + j] * f * (1 - f)
                                        r[2 * h + j] = gradC * i * (1 - g * g)
                                        r[3 * h + j] = gradH * tc * o * (1 - o)
                                        dc[s * h + j] = gradC * f
                                    }
                                    (dA.baseAddress! + (s * steps + t) * g4).update(from: r, count: g4)
                                }
                                // dW_hh += daᵀ·h_{t−1};  dh_{t−1} = da·W_hh
                                if !weightHH.isFrozen {
                                    BLAS.sgemm(transA: true, m: g4, n: h, k: n, a: d, lda: g4,
                                               b: hp.baseAddress! + t * n * h, ldb: h, beta: 1, c: dWhh, ldc: h)
                                }
                                dhPrev.withUnsafeMutableBufferPointer { out in
                                    BLAS.sgemm(m: n, n: h, k: g4, a: d, lda: g4, b: weightHH.value.data, ldb: h,
                                               c: out.baseAddress!, ldc: h)
                                }
                            }
                            swap(&dh, &dhPrev)
                        }
                    }
                }
            }
        }
        return preactivation.withUnsafeBufferPointer { dA in
            let rows = n * steps
            if !weightIH.isFrozen {
                BLAS.sgemm(transA: true, m: g4, n: inputSize, k: rows, a: dA.baseAddress!, lda: g4, b: input.data, ldb: inputSize,
                           c: weightIH.gradient.data, ldc: inputSize)
            }
            if !biasIH.isFrozen { VectorOps.sumRows(dA.baseAddress!, rows: rows, cols: g4, into: biasIH.gradient.data) }
            if !biasHH.isFrozen { VectorOps.sumRows(dA.baseAddress!, rows: rows, cols: g4, into: biasHH.gradient.data) }
            guard needsInputGradient else { return nil }
            inputGradient.resize(input.shape)
            BLAS.sgemm(m: rows, n: inputSize, k: g4, a: dA.baseAddress!, lda: g4, b: weightIH.value.data, ldb: inputSize,
                       c: inputGradient.data, ldc: inputSize)
            return inputGradient
        }
    }

    private func resize(_ buffer: inout [Float], _ count: Int) {
        if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
    }
}
