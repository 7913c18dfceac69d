/// Non-trainable state saved with a model (BatchNorm's running statistics): no gradient,
/// not touched by optimizers, but checkpointed and broadcast from rank 0 to the other ranks.
public final class Buffer {
    /// Dotted name, as PyTorch's state dict (`layer1.0.bn1.running_mean`).
    public var name: String
    /// The values.
    public let value: Tensor

    public init(name: String, shape: [Int], fill: Float) {
        self.name = name
        self.value = Tensor(shape: shape)
        value.fill(fill)
    }
}
