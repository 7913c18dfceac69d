import Foundation
import LockstepTensor

/// What the batch-first recurrent layers (LSTM, GRU) share: the input projection of every
/// (sample, step) as one GEMM, the output taken from the hidden states, and, after
/// backpropagation through time, the input weights' gradients and the input gradient as one
/// GEMM each. Rows of the projections are batch-first (n·T + t); hidden states are time-major
/// [T + 1, N, H] with the zero initial state first.
enum Recurrence {
    /// p[n·T + t] = x[n, t]·Wᵀ + b, for `gates` outputs per row.
    static func projectInputs(_ x: Tensor, weight: Parameter, bias: Parameter, gates: Int, into p: inout [Float]) {
        let rows = x.shape[0] * x.shape[1], inputs = x.shape[2]
        if p.count != rows * gates { p = [Float](repeating: 0, count: rows * gates) }
        p.withUnsafeMutableBufferPointer { out in
            BLAS.sgemm(transB: true, m: rows, n: gates, k: inputs, a: x.data, lda: inputs, b: weight.value.data, ldb: inputs,
                       c: out.baseAddress!, ldc: gates)
            VectorOps.addRowVector(bias.value.data, to: out.baseAddress!, rows: rows, cols: gates)
        }
    }

    /// The layer's output from the states: every h_t as [N, T, H], or the last as [N, H].
    static func output(states: [Float], samples n: Int, steps: Int, hidden h: Int, sequences: Bool, into y: Tensor) {
        y.resize(sequences ? [n, steps, h] : [n, h])
        states.withUnsafeBufferPointer { hp in
            for s in 0..<n {
                for t in (sequences ? 0 : steps - 1)..<steps {
                    let dst = y.data + (sequences ? (s * steps + t) * h : s * h)
                    dst.update(from: hp.baseAddress! + ((t + 1) * n + s) * h, count: h)
                }
            }
        }
    }

    /// The part of the output gradient that reaches h_t of sample s, unit j.
    @inline(__always)
    static func outputGradient(_ dy: UnsafePointer<Float>, sample s: Int, step t: Int, unit j: Int, steps: Int, hidden h: Int,
                               sequences: Bool) -> Float {
        if sequences { return dy[(s * steps + t) * h + j] }
        return t == steps - 1 ? dy[s * h + j] : 0
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

    /// The parameters of one layer and direction, PyTorch's names and U(−1/√H, 1/√H).
    static func parameters(gates: Int, inputs: Int, hidden h: Int) -> (ih: Parameter, hh: Parameter, bih: Parameter, bhh: Parameter) {
        let bound = 1 / Float(h).squareRoot()
        return (Parameter(name: "weight_ih_l0", shape: [gates, inputs], initializer: .uniform(bound: bound)),
                Parameter(name: "weight_hh_l0", shape: [gates, h], initializer: .uniform(bound: bound)),
                Parameter(name: "bias_ih_l0", shape: [gates], initializer: .uniform(bound: bound)),
                Parameter(name: "bias_hh_l0", shape: [gates], initializer: .uniform(bound: bound)))
    }

    static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
}
