/// Aligned memory that tensors use: freed when the last tensor (or arena) holding it goes.
/// The memory owner is separate from tensors so a view keeps the memory it reads alive even
/// after the tensor it was made from grows into new memory.
public final class TensorStorage: @unchecked Sendable {
    // Sendable: the pointer and capacity never change; the floats it points to are guarded by
    // their users (one thread writes a batch, then hands it over).
    public let base: UnsafeMutablePointer<Float>
    public let capacity: Int

    /// `capacity` zeroed floats, 64-byte aligned.
    public init(capacity: Int) {
        self.capacity = capacity
        base = Tensor.allocate(capacity)
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}

/// A dense Float32 array with a shape, stored row-major (NCHW for images).
///
/// A tensor either owns its memory (a `TensorStorage` of its own) or is a view into memory
/// owned by another object (a `ParameterArena`'s storage, or another tensor's), which it
/// keeps alive. Layers keep their output tensors across steps and `resize` them when the
/// batch changes, so the hot loop does not allocate once shapes are stable.
public final class Tensor: @unchecked Sendable {
    // Sendable: tensors cross threads only by hand-over (the loader thread fills a batch,
    // then the training thread owns it); no two threads use one at a time.

    /// Dimensions, outermost first; a batch dimension, when present, is `shape[0]`.
    public private(set) var shape: [Int]
    /// Number of elements (product of `shape`).
    public private(set) var count: Int
    /// First element. Valid for `count` elements.
    public private(set) var data: UnsafeMutablePointer<Float>
    private var capacity: Int
    /// What keeps `data` alive: this tensor's own storage, or the owner of the viewed memory.
    private var memory: AnyObject
    /// Whether `data` is another object's memory (a view may not grow).
    private let isView: Bool

    /// An owning, zero-filled tensor.
    public init(shape: [Int]) {
        let n = Tensor.elementCount(shape)
        let storage = TensorStorage(capacity: n)
        self.shape = shape
        self.count = n
        self.capacity = n
        self.data = storage.base
        self.memory = storage
        self.isView = false
    }

    /// An owning tensor holding a copy of `values` (`values.count` must equal the shape's size).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        assign(values)
    }

    /// A view of `count(shape)` elements at `pointer`, inside memory that `owner` keeps alive.
    public init(viewing pointer: UnsafeMutablePointer<Float>, shape: [Int], owner: AnyObject) {
        self.shape = shape
        self.count = Tensor.elementCount(shape)
        self.capacity = count
        self.data = pointer
        self.memory = owner
        self.isView = true
    }

    /// A view of the same elements as `other` under another shape of equal size. It holds
    /// `other`'s memory, not `other`: it stays valid if `other` later grows into new memory.
    public convenience init(reshaping other: Tensor, to shape: [Int]) {
        precondition(Tensor.elementCount(shape) == other.count,
                     "cannot view \(other.shape) as \(shape): element counts differ")
        self.init(viewing: other.data, shape: shape, owner: other.memory)
    }

    /// A view of rows `range` of the first dimension (e.g. some samples of a batch), holding
    /// this tensor's memory.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) of a tensor of \(shape)")
        let rowSize = count / max(shape[0], 1)
        return Tensor(viewing: data + range.lowerBound * rowSize, shape: [range.count] + shape.dropFirst(), owner: memory)
    }

    /// Gives the tensor a new shape. An owning tensor moves to new memory when it must grow
    /// (contents are then undefined; views of the old memory keep it); a view may only keep
    /// or shrink its size.
    public func resize(_ newShape: [Int]) {
        let n = Tensor.elementCount(newShape)
        if n > capacity {
            precondition(!isView, "cannot grow a view from \(shape) to \(newShape)")
            let storage = TensorStorage(capacity: n)
            memory = storage
            data = storage.base
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
