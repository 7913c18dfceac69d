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
    /// Time-major caches of the forward pass: gate activations [T, N, 4H]; cells, their tanh
    /// and hidden states [T + 1, N, H] (index 0 holds the zero initial state).
    private let gates = Tensor(shape: [0])
    private let cells = Tensor(shape: [0])
    private let cellTanh = Tensor(shape: [0])
    private let hidden = Tensor(shape: [0])
    /// The input projections [N·T, 4H] (batch-first rows); in backward, ∂L/∂a.
    private let preactivation = Tensor(shape: [0])
    /// Backward scratch: ∂L/∂h and ∂L/∂c of the step being processed, and ∂L/∂a of every step
    /// time-major [T, N, 4H] (so dW_hh is one GEMM over all steps).
    private let stepGradients = Tensor(shape: [0])

    init(inputSize: Int, hiddenSize: Int, suffix: String) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, gatesPerUnit: 4, suffix: suffix)
    }

    override func forward(_ input: Tensor) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g4 = 4 * h
        self.input = input
        Recurrence.projectInputs(input, weight: weightIH, bias: biasIH, gates: g4, into: preactivation)
        gates.resize([steps, n, g4])
        for state in [cells, cellTanh, hidden] {
            state.resize([steps + 1, n, h])
            state.data.update(repeating: 0, count: n * h)
        }
        let bhh = biasHH.value.data, x = preactivation.data
        // Samples are independent through time: with T threads, each runs a part of the batch
        // through every step (its GEMMs single-threaded). OpenBLAS picks its kernels by a GEMM's
        // size, so the last bits may differ between thread counts (as with OpenBLAS's own
        // threading); for a given thread count they are the same run after run.
        Parallel.forEachRange(n) { rows in
            let m = rows.count, r0 = rows.lowerBound
            for t in 0..<steps {
                let a = gates.data + t * n * g4
                let cPrev = cells.data + t * n * h, cNext = cells.data + (t + 1) * n * h
                let tc = cellTanh.data + (t + 1) * n * h, hNext = hidden.data + (t + 1) * n * h
                // a = h_{t−1}·W_hhᵀ, then + b_hh + the input projection, then the gates.
                BLAS.sgemm(transB: true, m: m, n: g4, k: h, a: hidden.data + (t * n + r0) * h, lda: h, b: weightHH.value.data, ldb: h,
                           c: a + r0 * g4, ldc: g4)
                for s in rows {
                    let row = a + s * g4, xs = x + (s * steps + t) * g4
                    for j in 0..<g4 { row[j] += xs[j] + bhh[j] }
                    VectorMath.sigmoid(row, into: row, count: 2 * h)
                    VectorMath.tanh(row + 2 * h, into: row + 2 * h, count: h)
                    VectorMath.sigmoid(row + 3 * h, into: row + 3 * h, count: h)
                    let c = cNext + s * h, cp = cPrev + s * h
                    for j in 0..<h { c[j] = row[h + j] * cp[j] + row[j] * row[2 * h + j] }
                    VectorMath.tanh(c, into: tc + s * h, count: h)
                    for j in 0..<h { hNext[s * h + j] = row[3 * h + j] * tc[s * h + j] }
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
        stepGradients.resize([2 * n * h + steps * n * g4])
        stepGradients.data.update(repeating: 0, count: 2 * n * h)
        let dh = stepGradients.data, dc = dh + n * h, daAll = dc + n * h
        let dA = preactivation.data
        // Backpropagation through time by parts of the batch, as in forward.
        Parallel.forEachRange(n) { rows in
            let m = rows.count, r0 = rows.lowerBound
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let da = daAll + t * n * g4
                let a = gates.data + t * n * g4, cPrev = cells.data + t * n * h, tanhC = cellTanh.data + (t + 1) * n * h
                for s in rows {
                    let row = a + s * g4, r = da + s * g4, dys = dy + (s * steps + t) * h
                    let dhs = dh + s * h, dcs = dc + s * h, cp = cPrev + s * h, tcs = tanhC + s * h
                    for j in 0..<h {
                        let gradH = dhs[j] + dys[j]
                        let i = row[j], f = row[h + j], g = row[2 * h + j], o = row[3 * h + j], tc = tcs[j]
                        let gradC = dcs[j] + gradH * o * (1 - tc * tc)
                        r[j] = gradC * g * i * (1 - i)
                        r[h + j] = gradC * cp[j] * f * (1 - f)
                        r[2 * h + j] = gradC * i * (1 - g * g)
                        r[3 * h + j] = gradH * tc * o * (1 - o)
                        dcs[j] = gradC * f
                    }
                    (dA + (s * steps + t) * g4).update(from: r, count: g4)
                }
                // dh_{t−1} = da·W_hh
                BLAS.sgemm(m: m, n: h, k: g4, a: da + r0 * g4, lda: g4, b: weightHH.value.data, ldb: h, c: dh + r0 * h, ldc: h)
            }
        }
        // dW_hh = Σ_t da_tᵀ·h_{t−1}.
        Recurrence.backwardRecurrentWeight(daAll, states: hidden, rows: steps * n, gates: g4, weight: weightHH)
        // b_hh enters every step's preactivation as b_ih does: the same gradient.
        if !biasHH.isFrozen { VectorOps.sumRows(dA, rows: n * steps, cols: g4, into: biasHH.gradient.data) }
        return Recurrence.backwardInputs(dA, input: input, weight: weightIH, bias: biasIH, gates: g4,
                                         needsInputGradient: needsInputGradient, into: inputGradient)
    }
}
