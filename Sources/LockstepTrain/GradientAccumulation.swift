import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTensor

/// Gradient accumulation (`training.accumulate_steps`): a step's batch runs forward and
/// backward as several micro-batches, and their gradients, each weighted by its share of the
/// batch, add up to the gradient of the whole batch's mean loss before the allreduce: the update
/// of one large batch, with the activation memory of a micro-batch. The last micro-batch's
/// gradients are completed parameter by parameter as backward reports them, so the bucketed
/// allreduce still overlaps its backward pass.
final class GradientAccumulation {
    /// Micro-batches in the current step.
    private(set) var count = 1
    private var samples = 0
    private var sum: [Float] = []
    private var outputs = Tensor(shape: [0])
    private var completed = Set<ObjectIdentifier>()

    /// Splits a batch of `samples` into `steps` micro-batches (at most one per sample).
    func plan(samples: Int, steps: Int) {
        count = max(1, min(steps, samples))
        self.samples = samples
        completed.removeAll(keepingCapacity: true)
    }

    /// The batch rows of micro-batch `j`.
    func rows(_ j: Int) -> Range<Int> { (j * samples / count)..<((j + 1) * samples / count) }

    /// Micro-batch `j`'s share of the batch: its mean loss and gradients are weighted by it.
    func weight(_ j: Int) -> Float { Float(rows(j).count) / Float(max(samples, 1)) }

    /// Copies micro-batch output `out` into the whole batch's output, which it returns.
    func gather(_ out: Tensor, rows: Range<Int>) -> Tensor {
        let shape = [samples] + out.shape.dropFirst()
        if outputs.shape != shape { outputs.resize(shape) }
        let rowSize = out.count / max(rows.count, 1)
        (outputs.data + rows.lowerBound * rowSize).update(from: out.data, count: out.count)
        return outputs
    }

    /// After a micro-batch other than the last: sum (+)= weight × its gradients.
    func add(_ arena: ParameterArena, weight: Float, first: Bool) {
        if sum.count != arena.count { sum = [Float](repeating: 0, count: arena.count) }
        let g = arena.gradients
        sum.withUnsafeMutableBufferPointer { s in
            if first { for i in 0..<arena.count { s[i] = weight * g[i] } }
            else { for i in 0..<arena.count { s[i] += weight * g[i] } }
        }
    }

    /// During the last micro-batch's backward: `parameters`' gradients are final, so each
    /// becomes weight × gradient + the sum, before the allreduce reads it.
    func complete(_ parameters: [Parameter], weight: Float) {
        guard count > 1 else { return }
        sum.withUnsafeBufferPointer { s in
            for p in parameters where !p.isFrozen && completed.insert(ObjectIdentifier(p)).inserted {
                let g = p.gradient.data, base = p.offset
                for i in 0..<p.count { g[i] = weight * g[i] + s[base + i] }
            }
        }
    }

    /// After the last backward: completes the parameters backward did not report.
    func completeRest(_ arena: ParameterArena, weight: Float) {
        complete(arena.parameters, weight: weight)
    }
}

extension ForwardContext {
    /// The context of some rows of the batch (their sample indices).
    func slice(_ rows: Range<Int>) -> ForwardContext {
        var c = self
        c.samples = samples.map { Array($0[rows]) }
        c.padding = padding.map { Array($0[rows]) }
        return c
    }
}

extension Targets {
    /// The targets of some rows of the batch.
    func slice(_ rows: Range<Int>) -> Targets {
        switch self {
        case .classes(let c): return .classes(Array(c[rows]))
        case .values(let t): return .values(t.rows(rows))
        }
    }
}
