import LockstepTensor

/// The gradients an accumulating backward pass adds to: saved before the pass, which then
/// writes into zeroed gradients as usual, and added back parameter by parameter as the pass
/// reports them final, so a reducer told at that moment reads the sum.
///
/// Zeroing first means a layer whose parameters get no contribution in this pass (an unused
/// branch) adds nothing, whatever it leaves unwritten.
final class GradientStash {
    private var saved: UnsafeMutablePointer<Float>?
    private var capacity = 0
    private var waiting = Set<ObjectIdentifier>()

    deinit { saved?.deallocate() }

    /// Saves the trainable gradients of `arena` and zeroes them.
    func save(_ arena: ParameterArena) {
        if capacity != arena.count {
            saved?.deallocate()
            saved = .allocate(capacity: max(arena.count, 1))
            capacity = arena.count
        }
        waiting.removeAll(keepingCapacity: true)
        for p in arena.parameters where !p.isFrozen {
            (saved! + p.offset).update(from: p.gradient.data, count: p.count)
            p.gradient.fill(0)
            waiting.insert(ObjectIdentifier(p))
        }
    }

    /// Adds the saved gradients back into `parameters` (each once per pass).
    func restore(_ parameters: [Parameter]) {
        guard let saved else { return }
        for p in parameters where waiting.remove(ObjectIdentifier(p)) != nil {
            VectorOps.add(saved + p.offset, to: p.gradient.data, count: p.count)
        }
    }
}
