import Foundation
import LockstepTensor

/// One sweep of a gated recurrent unit layer (Cho et al. 2014), as one layer and direction of
/// PyTorch's `nn.GRU(I, H, batch_first=True)`:
///
///     p_t = x_t·W_ihᵀ + b_ih,  q_t = h_{t−1}·W_hhᵀ + b_hh                [N, 3H], gates r, z, n
///     r = σ(p_r + q_r);  z = σ(p_z + q_z);  n = tanh(p_n + r ⊙ q_n)
///     h_t = (1 − z) ⊙ n + z ⊙ h_{t−1};  h_0 = 0
///
/// Shapes: x [N, T, I]; y [N, T, H]. Parameters `weight_ih_lK` [3H, I], `weight_hh_lK` [3H, H],
/// `bias_ih_lK`, `bias_hh_lK` [3H] (`RecurrentSweep`). Backward runs through time over the whole sequence (`Recurrence` holds
/// what it shares with `LSTMSweep`).
final class GRUSweep: RecurrentSweep {
    /// The input projections [N·T, 3H] (batch-first rows); in backward, ∂L/∂p.
    private let projection = Tensor(shape: [0])
    /// Time-major caches: r, z, n [T, N, 3H]; q_n (b_hh included) [T, N, H]; hidden states [T + 1, N, H].
    private let gates = Tensor(shape: [0])
    private let recurrentN = Tensor(shape: [0])
    private let hidden = Tensor(shape: [0])
    /// Forward: one step's q = h_{t−1}·W_hhᵀ [N, 3H]. Backward: ∂L/∂h, ∂L/∂h_{t−1} [N, H] and
    /// ∂L/∂q of every step, time-major [T, N, 3H] (so dW_hh is one GEMM over all steps).
    private let scratch = Tensor(shape: [0])

    init(inputSize: Int, hiddenSize: Int, suffix: String) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, gatesPerUnit: 3, suffix: suffix)
    }

    override func forward(_ input: Tensor) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g3 = 3 * h
        self.input = input
        Recurrence.projectInputs(input, weight: weightIH, bias: biasIH, gates: g3, into: projection)
        gates.resize([steps, n, g3])
        recurrentN.resize([steps, n, h])
        hidden.resize([steps + 1, n, h])
        hidden.data.update(repeating: 0, count: n * h)
        scratch.resize([n, g3])
        let bhh = biasHH.value.data, q = scratch.data
        // Samples are independent through time: each thread runs a part of the batch through
        // every step (as LSTMSweep does).
        Parallel.forEachRange(n) { rows in
            let r0 = rows.lowerBound
            for t in 0..<steps {
                let hPrev = hidden.data + t * n * h, hNext = hidden.data + (t + 1) * n * h
                BLAS.sgemm(transB: true, m: rows.count, n: g3, k: h, a: hPrev + r0 * h, lda: h, b: weightHH.value.data, ldb: h,
                           c: q + r0 * g3, ldc: g3)
                for s in rows {
                    let row = gates.data + (t * n + s) * g3, qs = q + s * g3, p = projection.data + (s * steps + t) * g3
                    let qn = recurrentN.data + (t * n + s) * h, hp = hPrev + s * h, hn = hNext + s * h
                    for j in 0..<(2 * h) { row[j] = p[j] + qs[j] + bhh[j] }
                    VectorMath.sigmoid(row, into: row, count: 2 * h)
                    for j in 0..<h {
                        qn[j] = qs[2 * h + j] + bhh[2 * h + j]
                        row[2 * h + j] = p[2 * h + j] + row[j] * qn[j]
                    }
                    VectorMath.tanh(row + 2 * h, into: row + 2 * h, count: h)
                    for j in 0..<h {
                        let z = row[h + j], candidate = row[2 * h + j]
                        hn[j] = (1 - z) * candidate + z * hp[j]
                    }
                }
            }
        }
        Recurrence.output(states: hidden, samples: n, steps: steps, hidden: h, into: output)
        return output
    }

    override func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input else { preconditionFailure("GRUSweep.backward before forward") }
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g3 = 3 * h
        let dy = outputGradient.data
        scratch.resize([2 * n * h + steps * n * g3])
        let dh = scratch.data, dhPrev = dh + n * h, dqAll = dhPrev + n * h  // ∂L/∂q_t, b_hh included
        dh.update(repeating: 0, count: n * h)
        let dP = projection.data
        // Backpropagation through time by parts of the batch, as in forward.
        Parallel.forEachRange(n) { rows in
            let r0 = rows.lowerBound
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let hPrev = hidden.data + t * n * h, dq = dqAll + t * n * g3
                for s in rows {
                    let row = gates.data + (t * n + s) * g3, r = dq + s * g3, p = dP + (s * steps + t) * g3
                    let qn = recurrentN.data + (t * n + s) * h, hp = hPrev + s * h, dys = dy + (s * steps + t) * h
                    let dhs = dh + s * h, dhp = dhPrev + s * h
                    for j in 0..<h {
                        let gradH = dhs[j] + dys[j]
                        let rr = row[j], z = row[h + j], candidate = row[2 * h + j]
                        let an = gradH * (1 - z) * (1 - candidate * candidate)     // ∂L/∂(p_n + r·q_n)
                        let ar = an * qn[j] * rr * (1 - rr)
                        let az = gradH * (hp[j] - candidate) * z * (1 - z)
                        p[j] = ar; p[h + j] = az; p[2 * h + j] = an
                        r[j] = ar; r[h + j] = az; r[2 * h + j] = an * rr
                        dhp[j] = gradH * z                                       // the direct path to h_{t−1}
                    }
                }
                // dh_{t−1} = z·∂L/∂h_t + dq·W_hh
                BLAS.sgemm(m: rows.count, n: h, k: g3, a: dq + r0 * g3, lda: g3, b: weightHH.value.data, ldb: h, beta: 1,
                           c: dhPrev + r0 * h, ldc: h)
                (dh + r0 * h).update(from: dhPrev + r0 * h, count: rows.count * h)
            }
        }
        // dW_hh = Σ_t dq_tᵀ·h_{t−1}; db_hh = Σ dq.
        Recurrence.backwardRecurrentWeight(dqAll, states: hidden, rows: steps * n, gates: g3, weight: weightHH)
        if !biasHH.isFrozen { VectorOps.sumRows(dqAll, rows: steps * n, cols: g3, into: biasHH.gradient.data) }
        return Recurrence.backwardInputs(dP, input: input, weight: weightIH, bias: biasIH, gates: g3,
                                         needsInputGradient: needsInputGradient, into: inputGradient)
    }
}
