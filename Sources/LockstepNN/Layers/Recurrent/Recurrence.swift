import Foundation
import LockstepTensor

/// What the recurrent sweeps (LSTM, GRU, RNN) share: the input projection of every (sample,
/// step) as one GEMM, the output taken from the hidden states, and, after backpropagation
/// through time, the input weights' gradients and the input gradient as one GEMM each; and the
/// strided copies that reverse time and join directions. Rows of the projections are
/// batch-first (n·T + t); hidden states are time-major [T + 1, N, H], zero initial state first.
enum Recurrence {
    /// p[n·T + t] = x[n, t]·Wᵀ + b, for `gates` outputs per row: a tensor [N·T, gates].
    static func projectInputs(_ x: Tensor, weight: Parameter, bias: Parameter, gates: Int, into p: Tensor) {
        let rows = x.shape[0] * x.shape[1], inputs = x.shape[2]
        p.resize([rows, gates])
        BLAS.sgemm(transB: true, m: rows, n: gates, k: inputs, a: x.data, lda: inputs, b: weight.value.data, ldb: inputs,
                   c: p.data, ldc: gates)
        VectorOps.addRowVector(bias.value.data, to: p.data, rows: rows, cols: gates)
    }

    /// Every h_t of the time-major states [T + 1, N, H] as the sweep's output [N, T, H].
    static func output(states: Tensor, samples n: Int, steps: Int, hidden h: Int, into y: Tensor) {
        y.resize([n, steps, h])
        for s in 0..<n {
            for t in 0..<steps { (y.data + (s * steps + t) * h).update(from: states.data + ((t + 1) * n + s) * h, count: h) }
        }
    }

    /// From ∂L/∂(projection) of every (sample, step): dW_ih = dAᵀ·x, db_ih = Σ dA, and the
    /// input gradient dA·W_ih (nil when not needed).
    static func backwardInputs(_ dA: UnsafePointer<Float>, input x: Tensor, weight: Parameter, bias: Parameter, gates: Int,
                               needsInputGradient: Bool, into dx: Tensor) -> Tensor? {
        let rows = x.shape[0] * x.shape[1], inputs = x.shape[2]
        if !weight.isFrozen {
            BLAS.sgemm(transA: true, m: gates, n: inputs, k: rows, a: dA, lda: gates, b: x.data, ldb: inputs,
                       c: weight.gradient.data, ldc: inputs)
        }
        if !bias.isFrozen { VectorOps.sumRows(dA, rows: rows, cols: gates, into: bias.gradient.data) }
        guard needsInputGradient else { return nil }
        dx.resize(x.shape)
        BLAS.sgemm(m: rows, n: inputs, k: gates, a: dA, lda: gates, b: weight.value.data, ldb: inputs, c: dx.data, ldc: inputs)
        return dx
    }

    /// dW_hh = Σ_t g_tᵀ·h_{t−1} (unless frozen) from every step's gradients with respect to its
    /// recurrent preactivation, time-major [T, N, gates], and the states [T + 1, N, H]: the
    /// first `rows` = T·N rows of the states are h_0 … h_{T−1}, row for row, so it is one GEMM.
    static func backwardRecurrentWeight(_ stepGradients: UnsafePointer<Float>, states: Tensor, rows: Int, gates: Int,
                                        weight: Parameter) {
        guard !weight.isFrozen else { return }
        let h = weight.shape[1]
        BLAS.sgemm(transA: true, m: gates, n: h, k: rows, a: stepGradients, lda: gates, b: states.data, ldb: h,
                   c: weight.gradient.data, ldc: h)
    }

    /// Copies `width` columns of every [N, T, ·] row of `source` (row width `sourceWidth`, from
    /// column `sourceOffset`) into `destination` (row width `destinationWidth`, from column
    /// `destinationOffset`), with time reversed when `reversed`; adds instead of copying when
    /// `accumulate`. A reverse sweep reads its input and writes its output through this, and the
    /// directions of a bidirectional layer meet side by side in one [N, T, 2H] output. With
    /// `lengths`, time is reversed within each row's real steps (L), the padding after them left
    /// in place: t ↦ L − 1 − t for t < L.
    static func copySteps(_ source: UnsafePointer<Float>, sourceWidth: Int, sourceOffset: Int = 0,
                          into destination: UnsafeMutablePointer<Float>, destinationWidth: Int, destinationOffset: Int = 0,
                          width: Int, samples n: Int, steps: Int, reversed: Bool, lengths: [Int]? = nil, accumulate: Bool = false) {
        for s in 0..<n {
            let length = lengths?[s] ?? steps
            for t in 0..<steps {
                let from = source + (s * steps + (reversed && t < length ? length - 1 - t : t)) * sourceWidth + sourceOffset
                let to = destination + (s * steps + t) * destinationWidth + destinationOffset
                if accumulate { for j in 0..<width { to[j] += from[j] } } else { to.update(from: from, count: width) }
            }
        }
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
}
