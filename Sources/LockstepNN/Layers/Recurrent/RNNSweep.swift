import Foundation
import LockstepTensor

/// One sweep of an Elman recurrent layer, as one layer and direction of PyTorch's
/// `nn.RNN(I, H, nonlinearity=…, batch_first=True)`:
///
///     h_t = φ(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh),  φ = tanh or ReLU;  h_0 = 0
///
/// Shapes: x [N, T, I]; y [N, T, H]. Parameters `weight_ih_lK` [H, I], `weight_hh_lK` [H, H],
/// `bias_ih_lK`, `bias_hh_lK` [H] (`RecurrentSweep`). Backward runs through time over the whole
/// sequence.
final class RNNSweep: RecurrentSweep {
    let relu: Bool
    /// The input projections [N·T, H] (batch-first rows); in backward, ∂L/∂a.
    private let projection = Tensor(shape: [0])
    /// Hidden states, time-major [T + 1, N, H].
    private let hidden = Tensor(shape: [0])
    /// Backward scratch: ∂L/∂h of the step being processed [N, H], and ∂L/∂a of every step,
    /// time-major [T, N, H] (so dW_hh is one GEMM over all steps).
    private let scratch = Tensor(shape: [0])

    init(inputSize: Int, hiddenSize: Int, suffix: String, relu: Bool) {
        self.relu = relu
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, gatesPerUnit: 1, suffix: suffix)
    }

    override func forward(_ input: Tensor) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize
        self.input = input
        Recurrence.projectInputs(input, weight: weightIH, bias: biasIH, gates: h, into: projection)
        hidden.resize([steps + 1, n, h])
        hidden.data.update(repeating: 0, count: n * h)
        let bhh = biasHH.value.data
        // Samples are independent through time: each thread runs a part of the batch through
        // every step (as LSTMSweep does).
        Parallel.forEachRange(n) { rows in
            let r0 = rows.lowerBound
            for t in 0..<steps {
                let a = hidden.data + (t + 1) * n * h
                BLAS.sgemm(transB: true, m: rows.count, n: h, k: h, a: hidden.data + (t * n + r0) * h, lda: h, b: weightHH.value.data,
                           ldb: h, c: a + r0 * h, ldc: h)
                for s in rows {
                    let row = a + s * h, x = projection.data + (s * steps + t) * h
                    for j in 0..<h { row[j] += x[j] + bhh[j] }
                    if relu { for j in 0..<h { row[j] = max(row[j], 0) } } else { VectorMath.tanh(row, into: row, count: h) }
                }
            }
        }
        Recurrence.output(states: hidden, samples: n, steps: steps, hidden: h, into: output)
        return output
    }

    override func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input else { preconditionFailure("RNNSweep.backward before forward") }
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize
        let dy = outputGradient.data, dA = projection.data
        scratch.resize([n * h + steps * n * h])
        let dh = scratch.data, daAll = dh + n * h
        dh.update(repeating: 0, count: n * h)
        // Backpropagation through time by parts of the batch, as in forward.
        Parallel.forEachRange(n) { rows in
            let r0 = rows.lowerBound
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let hNow = hidden.data + (t + 1) * n * h, da = daAll + t * n * h
                for s in rows {
                    for j in 0..<h {
                        let v = hNow[s * h + j], g = dh[s * h + j] + dy[(s * steps + t) * h + j]
                        let d = relu ? (v > 0 ? g : 0) : g * (1 - v * v)
                        da[s * h + j] = d
                        dA[(s * steps + t) * h + j] = d
                    }
                }
                // dh_{t−1} = da·W_hh
                BLAS.sgemm(m: rows.count, n: h, k: h, a: da + r0 * h, lda: h, b: weightHH.value.data, ldb: h, c: dh + r0 * h, ldc: h)
            }
        }
        // dW_hh = Σ_t da_tᵀ·h_{t−1}.
        Recurrence.backwardRecurrentWeight(daAll, states: hidden, rows: steps * n, gates: h, weight: weightHH)
        // b_hh enters every step's preactivation as b_ih does: the same gradient.
        if !biasHH.isFrozen { VectorOps.sumRows(dA, rows: n * steps, cols: h, into: biasHH.gradient.data) }
        return Recurrence.backwardInputs(dA, input: input, weight: weightIH, bias: biasIH, gates: h,
                                         needsInputGradient: needsInputGradient, into: inputGradient)
    }
}
