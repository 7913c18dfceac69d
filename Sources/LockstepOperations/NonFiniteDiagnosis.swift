import LockstepNN
import LockstepTensor

/// Where NaN or ±Inf first appears in a step that produced non-finite gradients: the batch,
/// a parameter, the first layer (in forward order, into nested Sequentials) whose output is
/// not finite, or the first parameter whose gradient is not. Run only after such a step,
/// before its update was applied; it re-runs the forward pass.
public enum NonFiniteDiagnosis {
    /// What this rank's own step shows (its batch, its parameters, its layers' outputs, its
    /// loss), or nil when all of it is finite: then only the allreduced gradients were not.
    public static func local(_ model: Model, inputs: Tensor, context: ForwardContext, loss: Double) -> String? {
        var found: [String] = []
        if !loss.isFinite { found.append("loss \(loss)") }
        if !finite(inputs) { found.append("the input batch holds NaN/Inf (a corrupted sample?)") }
        if let p = model.parameters.first(where: { !finite($0.value) }) {
            found.append("parameter \(p.name) holds NaN/Inf")
        }
        if let layer = firstNonFiniteOutput(model.root, inputs, context, path: "") {
            found.append("first non-finite output: layer \(layer)")
        }
        return found.isEmpty ? nil : found.joined(separator: "; ")
    }

    /// Whether every gradient of `model` is finite (one pass over the gradient arena).
    public static func gradientsAreFinite(_ model: Model) -> Bool {
        VectorOps.allFinite(model.arena.gradients, count: model.arena.count)
    }

    /// The first parameter, in forward order, whose gradient is not finite.
    public static func firstNonFiniteGradient(_ model: Model) -> String? {
        model.parameters.first { !finite($0.gradient) }?.name
    }

    private static func finite(_ t: Tensor) -> Bool { VectorOps.allFinite(t.data, count: t.count) }

    /// The path of the first layer under `layer` whose output is not finite, running them in
    /// order from `input`.
    private static func firstNonFiniteOutput(_ layer: any Layer, _ input: Tensor, _ context: ForwardContext, path: String) -> String? {
        guard let sequence = layer as? Sequential else {
            return finite(layer.forward(input, context)) ? nil : "\(path.isEmpty ? "<model>" : path) (\(layer.kind))"
        }
        var x = input
        for (name, child) in zip(sequence.names, sequence.layers) {
            let childPath = path.isEmpty ? name : path + "." + name
            let y = child.forward(x, context)
            if !finite(y) { return firstNonFiniteOutput(child, x, context, path: childPath) ?? "\(childPath) (\(child.kind))" }
            x = y
        }
        return nil
    }
}
