/// A trainable tensor of a layer: its value and gradient are views into a `ParameterArena`.
///
/// Layers create their parameters unbound in `build`; the arena binds them. The name is the
/// PyTorch-style dotted path (`1.weight`, `layer1.0.conv1.weight`), prefixed by containers.
public final class Parameter {
    /// Dotted name, unique within a model.
    public var name: String
    /// Shape, PyTorch layout (`[out, in]` for dense weights, OIHW for conv kernels).
    public let shape: [Int]
    /// Number of elements.
    public let count: Int
    /// How initial values are drawn.
    public let initializer: Initializer
    /// A frozen parameter gets no gradient computed, no allreduce traffic and no update
    /// (transfer learning's fixed backbone).
    public var isFrozen = false
    /// Multiplies the optimizer's learning rate for this parameter (per-group rates).
    public var learningRateScale: Float = 1
    /// Offset of the first element in the arena's value and gradient buffers.
    public internal(set) var offset: Int = -1
    private var boundValue: Tensor?
    private var boundGradient: Tensor?

    /// An unbound parameter.
    public init(name: String, shape: [Int], initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.count = Tensor.elementCount(shape)
        self.initializer = initializer
    }

    /// The current value (a view into the arena).
    public var value: Tensor {
        guard let v = boundValue else { preconditionFailure("parameter \(name) used before its arena was built") }
        return v
    }

    /// The gradient of the loss with respect to this parameter (a view into the arena).
    public var gradient: Tensor {
        guard let g = boundGradient else { preconditionFailure("parameter \(name) used before its arena was built") }
        return g
    }

    func bind(value: Tensor, gradient: Tensor, offset: Int) {
        boundValue = value
        boundGradient = gradient
        self.offset = offset
    }
}
