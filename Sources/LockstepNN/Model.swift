import Foundation
import LockstepTensor

/// A network ready to train: its root layer built for an input shape, and its parameters
/// bound to one `ParameterArena`.
public final class Model {
    /// The network.
    public let root: any Layer
    /// Per-sample input shape (e.g. [1, 28, 28]).
    public let inputShape: [Int]
    /// Per-sample output shape (e.g. [10]).
    public let outputShape: [Int]
    /// All parameters and gradients.
    public let arena: ParameterArena

    /// Builds `root` for `inputShape`; throws a `LayerError` naming the layer whose shapes do not fit.
    public init(inputShape: [Int], root: any Layer) throws {
        self.root = root
        self.inputShape = inputShape
        self.outputShape = try root.build(inputShape: inputShape)
        try Self.checkMemory(root.parameters)
        self.arena = ParameterArena(parameters: root.parameters)
        self.buffers = root.buffers
    }

    /// A model whose parameters and gradients alone exceed this machine's memory is an error
    /// naming the largest parameter, not an allocation failure.
    static func checkMemory(_ parameters: [Parameter]) throws {
        let bytes = parameters.reduce(0.0) { $0 + 8 * Double($1.count) }  // values and gradients
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes > physical, let largest = parameters.max(by: { $0.count < $1.count }) else { return }
        let gb = { (x: Double) in String(format: "%.1f GB", x / 1e9) }
        throw LayerError(kind: "Model", message: "needs \(gb(bytes)) for its parameters and gradients (largest: \(largest.name) \(largest.shape)), more than this machine's \(gb(physical))")
    }

    /// All parameters, in arena order.
    public var parameters: [Parameter] { arena.parameters }

    /// The name of the layer that produces the output from the features, which fine-tuning
    /// with new classes replaces: the owner of the last parameters (`fc` in a ResNet,
    /// `classifier.6` in a VGG, `11` in LeNet-5, the last `Dense` of an MLP). Nil for a
    /// network without parameters or whose last parameters belong to the root itself.
    public var headName: String? {
        guard let last = parameters.last?.name, let dot = last.lastIndex(of: ".") else { return nil }
        return String(last[..<dot])
    }

    /// The parameters of the head layer (empty when there is none).
    public var headParameters: [Parameter] {
        guard let head = headName else { return [] }
        return parameters.filter { $0.name.hasPrefix(head + ".") }
    }

    /// All non-trainable state (BatchNorm running statistics), in layer order (gathered once:
    /// the trainer broadcasts them every step).
    public let buffers: [Buffer]

    /// Runs the network on a batch [N] + inputShape.
    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == inputShape,
                     "model input \(input.shape) does not match [N] + \(inputShape)")
        return root.forward(input, context)
    }

    /// Back-propagates the loss gradient (∂loss/∂output, shape [N] + outputShape) and writes
    /// every trainable parameter's gradient.
    ///
    /// - `needsInputGradient`: also compute ∂loss/∂input and return it (shape [N] + inputShape),
    ///   for a network whose input comes from another network (a GAN's generator, an
    ///   encoder). The tensor belongs to the model and is valid until its next backward pass.
    /// - `accumulate`: add this pass's gradients to those already in the arena instead of
    ///   replacing them, so two passes (a discriminator on real and on generated images, or
    ///   one set of weights applied to two inputs, one forward and backward after the other)
    ///   give the gradient of the sum of their losses. Start from `zeroGradients()` or a pass
    ///   without it.
    /// - `ready` is told which parameters' gradients are final as soon as they are, in backward
    ///   order (with `accumulate`, final means the sum): a `GradientReducer` starts their
    ///   allreduce then.
    @discardableResult
    public func backward(_ lossGradient: Tensor, needsInputGradient: Bool = false, accumulate: Bool = false,
                         ready: GradientsReadyHandler? = nil) -> Tensor? {
        precondition(Array(lossGradient.shape.dropFirst()) == outputShape,
                     "loss gradient \(lossGradient.shape) does not match [N] + \(outputShape)")
        var report = ready
        if accumulate {
            stash.save(arena)
            let stash = self.stash
            report = { parameters in
                stash.restore(parameters)
                ready?(parameters)
            }
        }
        let inputGradient = root.backward(lossGradient, needsInputGradient: needsInputGradient, report)
        if accumulate { stash.restore(arena.parameters) }
        if !(root is any LayerContainer), let ready, !root.parameters.isEmpty { ready(root.parameters) }
        return inputGradient
    }

    /// Sets every gradient to zero (before accumulating passes, as PyTorch's `zero_grad`).
    public func zeroGradients() {
        arena.gradientBuffer.update(repeating: 0)
    }

    /// The gradients before an accumulating pass, allocated on first use.
    private lazy var stash = GradientStash()
}
