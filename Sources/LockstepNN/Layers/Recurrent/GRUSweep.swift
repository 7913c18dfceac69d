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
    private var projection: [Float] = []
    /// Time-major caches: r, z, n [T, N, 3H]; q_n [T, N, H]; hidden states [T + 1, N, H].
    private var gates: [Float] = []
    private var recurrentN: [Float] = []
    private var hidden: [Float] = []
    private var recurrent: [Float] = []

    init(inputSize: Int, hiddenSize: Int, suffix: String) {
        super.init(inputSize: inputSize, hiddenSize: hiddenSize, gatesPerUnit: 3, suffix: suffix)
    }

    override func forward(_ input: Tensor) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g3 = 3 * h
        self.input = input
        Recurrence.projectInputs(input, weight: weightIH, bias: biasIH, gates: g3, into: &projection)
        resize(&gates, steps * n * g3)
        resize(&recurrentN, steps * n * h)
        resize(&hidden, (steps + 1) * n * h)
        resize(&recurrent, n * g3)
        for i in 0..<(n * h) { hidden[i] = 0 }
        let bhh = biasHH.value.data
        gates.withUnsafeMutableBufferPointer { gp in
            hidden.withUnsafeMutableBufferPointer { hp in
                recurrent.withUnsafeMutableBufferPointer { qp in
                  projection.withUnsafeBufferPointer { pp in
                    let q = qp.baseAddress!
                    for t in 0..<steps {
                        let hPrev = hp.baseAddress! + t * n * h, hNext = hp.baseAddress! + (t + 1) * n * h
                        BLAS.sgemm(transB: true, m: n, n: g3, k: h, a: hPrev, lda: h, b: weightHH.value.data, ldb: h, c: q, ldc: g3)
                        for s in 0..<n {
                            let row = gp.baseAddress! + (t * n + s) * g3, qs = q + s * g3
                            let p = pp.baseAddress! + (s * steps + t) * g3
                            for j in 0..<h {
                                let r = Recurrence.sigmoid(p[j] + qs[j] + bhh[j])
                                let z = Recurrence.sigmoid(p[h + j] + qs[h + j] + bhh[h + j])
                                let qn = qs[2 * h + j] + bhh[2 * h + j]
                                let nn = tanhf(p[2 * h + j] + r * qn)
                                row[j] = r; row[h + j] = z; row[2 * h + j] = nn
                                recurrentN[(t * n + s) * h + j] = qn
                                hNext[s * h + j] = (1 - z) * nn + z * hPrev[s * h + j]
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
        guard let input else { preconditionFailure("GRUSweep.backward before forward") }
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, g3 = 3 * h
        let dy = outputGradient.data
        var dh = [Float](repeating: 0, count: n * h), dhPrev = [Float](repeating: 0, count: n * h)
        var dq = [Float](repeating: 0, count: n * g3)  // ∂L/∂q_t (b_hh included)
        let dWhh = weightHH.gradient.data, dbhh = biasHH.gradient.data
        if !weightHH.isFrozen { dWhh.update(repeating: 0, count: g3 * h) }
        if !biasHH.isFrozen { dbhh.update(repeating: 0, count: g3) }
        gates.withUnsafeBufferPointer { gp in
            hidden.withUnsafeBufferPointer { hp in
                projection.withUnsafeMutableBufferPointer { dP in
                    for t in stride(from: steps - 1, through: 0, by: -1) {
                        let hPrev = hp.baseAddress! + t * n * h
                        dq.withUnsafeMutableBufferPointer { dqp in
                            let d = dqp.baseAddress!
                            for s in 0..<n {
                                let row = gp.baseAddress! + (t * n + s) * g3, r = d + s * g3
                                let p = dP.baseAddress! + (s * steps + t) * g3
                                for j in 0..<h {
                                    let gradH = dh[s * h + j] + dy[(s * steps + t) * h + j]
                                    let rr = row[j], z = row[h + j], nn = row[2 * h + j]
                                    let an = gradH * (1 - z) * (1 - nn * nn)           // ∂L/∂(p_n + r·q_n)
                                    let ar = an * recurrentN[(t * n + s) * h + j] * rr * (1 - rr)
                                    let az = gradH * (hPrev[s * h + j] - nn) * z * (1 - z)
                                    p[j] = ar; p[h + j] = az; p[2 * h + j] = an
                                    r[j] = ar; r[h + j] = az; r[2 * h + j] = an * rr
                                    dh[s * h + j] = gradH * z                          // the direct path to h_{t−1}
                                }
                            }
                            if !biasHH.isFrozen { for s in 0..<n { for j in 0..<g3 { dbhh[j] += d[s * g3 + j] } } }
                            // dW_hh += dqᵀ·h_{t−1};  dh_{t−1} += dq·W_hh
                            if !weightHH.isFrozen {
                                BLAS.sgemm(transA: true, m: g3, n: h, k: n, a: d, lda: g3, b: hPrev, ldb: h, beta: 1, c: dWhh, ldc: h)
                            }
                            dhPrev.withUnsafeMutableBufferPointer { out in
                                out.baseAddress!.update(from: dh, count: n * h)
                                BLAS.sgemm(m: n, n: h, k: g3, a: d, lda: g3, b: weightHH.value.data, ldb: h, beta: 1,
                                           c: out.baseAddress!, ldc: h)
                            }
                        }
                        swap(&dh, &dhPrev)
                    }
                }
            }
        }
        return projection.withUnsafeBufferPointer { dP in
            Recurrence.backwardInputs(dP.baseAddress!, input: input, weight: weightIH, bias: biasIH, gates: g3,
                                      needsInputGradient: needsInputGradient, into: inputGradient)
        }
    }
}
