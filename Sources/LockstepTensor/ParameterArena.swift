/// All parameters of a model in one aligned buffer, all gradients in another.
///
/// Layers hold views into these buffers, so one allreduce covers all gradients without packing,
/// the optimizer is one flat loop, and a checkpoint or broadcast is one contiguous write.
/// Each parameter starts on a 64-byte boundary; the padding between parameters stays zero in
/// both buffers, which every optimizer here leaves at zero.
public final class ParameterArena {
    /// The parameters in layout order (forward order of the layers).
    public let parameters: [Parameter]
    /// Floats in each buffer, padding included.
    public let count: Int
    /// All parameter values.
    public let values: UnsafeMutablePointer<Float>
    /// All gradients, at the same offsets as `values`.
    public let gradients: UnsafeMutablePointer<Float>

    private let storage: Storage

    /// Floats per alignment unit (64 bytes).
    public static let alignment = 16

    /// Floats a parameter of `count` elements occupies, padded to the alignment.
    public static func paddedSize(_ count: Int) -> Int { (count + alignment - 1) / alignment * alignment }

    /// Lays out `parameters` and binds each one's value and gradient views.
    /// Names must be unique.
    public init(parameters: [Parameter]) {
        var seen = Set<String>()
        var offset = 0
        var offsets: [Int] = []
        for p in parameters {
            precondition(seen.insert(p.name).inserted, "duplicate parameter name \(p.name)")
            offsets.append(offset)
            offset += Self.paddedSize(p.count)
        }
        let storage = Storage(count: offset)
        self.storage = storage
        self.parameters = parameters
        self.count = offset
        self.values = storage.values.base
        self.gradients = storage.gradients.base
        for (p, o) in zip(parameters, offsets) {
            p.bind(value: Tensor(viewing: values + o, shape: p.shape, owner: storage),
                   gradient: Tensor(viewing: gradients + o, shape: p.shape, owner: storage),
                   offset: o)
        }
    }

    /// The two buffers, one owner: parameters' views keep it alive (not the arena, which
    /// holds the parameters: that would be a cycle).
    private final class Storage {
        let values: TensorStorage
        let gradients: TensorStorage
        init(count: Int) {
            values = TensorStorage(capacity: count)
            gradients = TensorStorage(capacity: count)
        }
    }

    /// Number of trainable scalars (padding excluded).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The value buffer as a buffer pointer.
    public var valueBuffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: values, count: count) }

    /// The gradient buffer as a buffer pointer.
    public var gradientBuffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: gradients, count: count)
    }

    /// Draws every parameter from its initializer, keyed by (seed, parameter index), so the
    /// result does not depend on anything but the seed and the architecture.
    public func initialize(seed: UInt64) {
        for (i, p) in parameters.enumerated() {
            var rng = CounterRNG(seed: seed, streams: 0x1A17, UInt64(i))
            p.initializer.fill(p.value.buffer, shape: p.shape, rng: &rng)
        }
    }

    /// Contiguous ranges of trainable (not frozen) parameters with equal learning-rate scale,
    /// padding between merged neighbours included (it stays zero). Optimizers update only these.
    public var updateRanges: [(range: Range<Int>, learningRateScale: Float)] {
        var out: [(range: Range<Int>, learningRateScale: Float)] = []
        for p in parameters where !p.isFrozen {
            let end = p.offset + Self.paddedSize(p.count)
            if let last = out.last, last.range.upperBound == p.offset, last.learningRateScale == p.learningRateScale {
                out[out.count - 1].range = last.range.lowerBound..<end
            } else {
                out.append((p.offset..<end, p.learningRateScale))
            }
        }
        return out
    }

    /// The parameter called `name`, if any.
    public func parameter(named name: String) -> Parameter? { parameters.first { $0.name == name } }
}
