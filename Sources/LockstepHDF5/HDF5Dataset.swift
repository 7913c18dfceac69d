import CHDF5

/// An open dataset. Reads and writes are whole-dataset or by rows (a hyperslab over the first
/// dimension), converting to the Swift element type by HDF5's own conversion.
///
/// Sendable: the handle never changes, and libhdf5 serializes calls on it (Lockstep requires
/// a thread-safe build, which `lockstep doctor` checks): the loader thread reads shards while
/// the training thread writes checkpoints.
public final class HDF5Dataset: @unchecked Sendable {
    let id: hid_t
    /// The file's path, for messages.
    public let file: String
    /// Path inside the file.
    public let path: String
    /// Dimensions.
    public let shape: [Int]
    /// What the file stores.
    public let elementType: HDF5ElementType

    /// Keeps the file open while this dataset is in use.
    let owner: HDF5File

    init(id: hid_t, file: String, path: String, owner: HDF5File) throws {
        self.id = id
        self.owner = owner
        self.file = file
        self.path = path
        (shape, elementType) = try ReadGuard.reading(file) { try Self.describe(id, file: file, path: path) }
    }

    /// The dimensions and element type of dataset `id`.
    private static func describe(_ id: hid_t, file: String, path: String) throws -> ([Int], HDF5ElementType) {
        let space = try H5.check(H5Dget_space(id), file: file, object: path, "cannot read the dataspace")
        defer { H5Sclose(space) }
        let rank = Int(try H5.check(H5Sget_simple_extent_ndims(space), file: file, object: path, "cannot read the rank"))
        var dims = [hsize_t](repeating: 0, count: rank)
        if rank > 0 { try H5.check(H5Sget_simple_extent_dims(space, &dims, nil), file: file, object: path, "cannot read dims") }
        let type = try H5.check(H5Dget_type(id), file: file, object: path, "cannot read the element type")
        defer { H5Tclose(type) }
        return (dims.map { Int($0) }, HDF5ElementType(typeID: type))
    }

    deinit { ReadGuard.reading(file) { _ = H5Dclose(id) } }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Elements per row (product of all dimensions but the first).
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }

    /// Reads everything.
    public func read<T: HDF5Scalar>(as: T.Type = T.self) throws -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buf, initialized in
            if count > 0 {
                try ReadGuard.reading(file) {
                    try H5.check(H5Dread(id, T.hdf5MemoryType, lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(),
                                         buf.baseAddress), file: file, object: path, "cannot read \(shape) as \(T.self)")
                }
            }
            initialized = count
        }
    }

    /// Reads rows `rows` (along the first dimension) into `buffer`, which must hold
    /// `rows.count × rowSize` elements.
    public func read<T: HDF5Scalar>(rows: Range<Int>, into buffer: UnsafeMutablePointer<T>) throws {
        try selectRows(rows) { memSpace, fileSpace in
            try ReadGuard.reading(file) {
                try H5.check(H5Dread(id, T.hdf5MemoryType, memSpace, fileSpace, lockstep_h5p_default(), buffer),
                             file: file, object: path, "cannot read rows \(rows) as \(T.self)")
            }
        }
    }

    /// Writes everything from `values` (count must match).
    public func write<T: HDF5Scalar>(_ values: UnsafeBufferPointer<T>) throws {
        guard values.count == count else {
            throw HDF5Error(file: file, object: path, message: "write of \(values.count) values into a dataset of \(count)")
        }
        if count == 0 { return }
        try H5.check(H5Dwrite(id, T.hdf5MemoryType, lockstep_h5s_all(), lockstep_h5s_all(), lockstep_h5p_default(),
                              values.baseAddress), file: file, object: path, "cannot write \(shape)")
    }

    /// Writes rows `rows` from `buffer` (`rows.count × rowSize` elements).
    public func write<T: HDF5Scalar>(rows: Range<Int>, from buffer: UnsafePointer<T>) throws {
        try selectRows(rows) { memSpace, fileSpace in
            try H5.check(H5Dwrite(id, T.hdf5MemoryType, memSpace, fileSpace, lockstep_h5p_default(), buffer),
                         file: file, object: path, "cannot write rows \(rows)")
        }
    }

    private func selectRows(_ rows: Range<Int>, _ body: (hid_t, hid_t) throws -> Void) throws {
        guard !shape.isEmpty, rows.lowerBound >= 0, rows.upperBound <= shape[0] else {
            throw HDF5Error(file: file, object: path, message: "rows \(rows) are outside the dataset's shape \(shape)")
        }
        if rows.isEmpty { return }
        let fileSpace = try H5.check(H5Dget_space(id), file: file, object: path, "cannot read the dataspace")
        defer { H5Sclose(fileSpace) }
        var start = [hsize_t](repeating: 0, count: shape.count)
        var counts = shape.map { hsize_t($0) }
        start[0] = hsize_t(rows.lowerBound)
        counts[0] = hsize_t(rows.count)
        try H5.check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start, nil, counts, nil),
                     file: file, object: path, "cannot select rows \(rows)")
        let memSpace = try H5.check(H5Screate_simple(Int32(counts.count), counts, nil), file: file, object: path,
                                    "cannot create a memory dataspace")
        defer { H5Sclose(memSpace) }
        try body(memSpace, fileSpace)
    }
}
