import Foundation
import LockstepTensor

/// One sweep of a long short-term memory layer (Hochreiter & Schmidhuber 1997), as one layer
/// and direction of PyTorch's `nn.LSTM(I, H, batch_first=True)`:
///
///     a_t = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh          [N, 4H], gates in order i, f, g, o
///     i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
///     c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t);  h_0 = c_0 = 0
///
/// Shapes: x [N, T, I]; y [N, T, H]. Parameters `weight_ih_lK` [4H, I], `weight_hh_lK` [4H, H],
/// `bias_ih_lK`, `bias_hh_lK` [4H] (`RecurrentSweep`). Backward is backpropagation through time over the whole
/// sequence: the input projection of every step is one GEMM each way, the recurrence one GEMM
/// per step.
final class LSTMSweep: RecurrentSweep {
    /// Time-major caches of the forward pass: gate activations [T, N, 4H], cells and hidden
    /// states [T + 1, N, H] (index 0 holds the zero initial state).
    private var gates: [Float] = []
    private var cells: [Float] = []
    private var hidden: [Float] = []
    private var preactivation: [Float] = []

    init(inputSize: Int, hiddenSize: Int, suffix: String) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, gatesPerUnit: 4, suffix: suffix)
    }

    override func forward(_ input: Tensor) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g4 = 4 * h
        self.input = input
        Recurrence.projectInputs(input, weight: weightIH, bias: biasIH, gates: g4, into: &preactivation)
        resize(&gates, steps * n * g4)
        resize(&cells, (steps + 1) * n * h)
        resize(&hidden, (steps + 1) * n * h)
        for i in 0..<(n * h) { cells[i] = 0; hidden[i] = 0 }
        let bhh = biasHH.value.data
        gates.withUnsafeMutableBufferPointer { gp in
            cells.withUnsafeMutableBufferPointer { cp in
                hidden.withUnsafeMutableBufferPointer { hp in
                    preactivation.withUnsafeBufferPointer { xp in
                        for t in 0..<steps {
                            let a = gp.baseAddress! + t * n * g4
                            let hPrev = hp.baseAddress! + t * n * h, cPrev = cp.baseAddress! + t * n * h
                            let hNext = hp.baseAddress! + (t + 1) * n * h, cNext = cp.baseAddress! + (t + 1) * n * h
                            // a = h_{t−1}·W_hhᵀ, then + b_hh + the input projection, then the gates.
                            BLAS.sgemm(transB: true, m: n, n: g4, k: h, a: hPrev, lda: h, b: weightHH.value.data, ldb: h,
                                       c: a, ldc: g4)
                            for s in 0..<n {
                                let row = a + s * g4, x = xp.baseAddress! + (s * steps + t) * g4
                                for j in 0..<g4 { row[j] += x[j] + bhh[j] }
                                for j in 0..<h {
                                    let i = Recurrence.sigmoid(row[j]), f = Recurrence.sigmoid(row[h + j])
                                    let g = tanhf(row[2 * h + j]), o = Recurrence.sigmoid(row[3 * h + j])
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
        Recurrence.output(states: hidden, samples: n, steps: steps, hidden: h, into: output)
        return output
    }

    override func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input else { preconditionFailure("LSTMSweep.backward before forward") }
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
                                        let gradH = dh[s * h + j] + dy[(s * steps + t) * h + j]
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
            // b_hh enters every step's preactivation as b_ih does: the same gradient.
            if !biasHH.isFrozen { VectorOps.sumRows(dA.baseAddress!, rows: n * steps, cols: g4, into: biasHH.gradient.data) }
            return Recurrence.backwardInputs(dA.baseAddress!, input: input, weight: weightIH, bias: biasIH, gates: g4,
                                             needsInputGradient: needsInputGradient, into: inputGradient)
        }
    }
}
