/// A dense Float32 array with a shape, stored row-major (NCHW for images).
///
/// A tensor either owns its storage (64-byte aligned, freed on `deinit`) or is a view into
/// memory owned by another object (a `ParameterArena`, or another tensor), which it keeps alive.
/// Layers keep their output tensors across steps and `resize` them when the batch changes, so
/// the hot loop does not allocate once shapes are stable.
public final class Tensor: @unchecked Sendable {
    /// Dimensions, outermost first; a batch dimension, when present, is `shape[0]`.
    public private(set) var shape: [Int]
    /// Number of elements (product of `shape`).
    public private(set) var count: Int
    /// First element. Valid for `count` elements.
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int
    /// Keeps the storage of a view alive; nil when this tensor owns its storage.
    private let owner: AnyObject?

    /// An owning, zero-filled tensor.
    public init(shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        self.count = n
        self.capacity = n
        self.data = Tensor.allocate(n)
        self.owner = nil
    }

    /// An owning tensor holding a copy of `values` (`values.count` must equal the shape's size).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        assign(values)
    }

    /// A view of `count(shape)` elements at `pointer`, owned by `owner`.
    public init(viewing pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.count = Tensor.elementCount(shape)
        self.capacity = count
        self.data = pointer
        self.owner = owner
    }

    /// A view of the same elements as `other` under another shape of equal size.
    public convenience init(reshaping other: Tensor, to shape: [Int]) {
        precondition(Tensor.elementCount(shape) == other.count,
                     "cannot view \(other.shape) as \(shape): element counts differ")
        self.init(viewing: other.data, shape: shape, owner: other)
    }

    deinit {
        if owner == nil { UnsafeMutableRawPointer(data).deallocate() }
    }

    /// Gives the tensor a new shape. An owning tensor reallocates when it must grow (contents
    /// are then undefined); a view may only keep or shrink its size.
    public func resize(_ newShape: [Int]) {
        let n = Tensor.elementCount(newShape)
        if n > capacity {
            precondition(owner == nil, "cannot grow a view from \(shape) to \(newShape)")
            UnsafeMutableRawPointer(data).deallocate()
            data = Tensor.allocate(n)
            capacity = n
        }
        shape = newShape
        count = n
    }

    /// The elements as a mutable buffer.
    @inlinable public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: data, count: count)
    }

    /// A copy of the elements (for tests and I/O, not hot paths).
    public func toArray() -> [Float] { Array(buffer) }

    /// Element access by flat index (for tests and I/O, not hot paths).
    public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// Overwrites the elements with `values` (count must match).
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "assign \(values.count) values to a tensor of \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { data.update(repeating: value, count: count) }

    /// Copies `other`'s elements (sizes must match).
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy from \(other.shape) into \(shape): sizes differ")
        data.update(from: other.data, count: count)
    }

    /// Product of the dimensions.
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1) * MemoryLayout<Float>.stride, alignment: 64)
        let p = raw.bindMemory(to: Float.self, capacity: max(n, 1))
        p.initialize(repeating: 0, count: max(n, 1))
        return p
    }
}
