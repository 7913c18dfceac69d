import CHDF5

/// A group, or a file's root group: the place datasets and subgroups are opened and created.
///
/// Sendable: as `HDF5Dataset`, an unchanging handle into a thread-safe libhdf5.
public class HDF5Group: HDF5AttributeHolder, @unchecked Sendable {
    let id: hid_t
    public let file: String
    public let path: String
    public var objectID: hid_t { id }
    /// The open file this object lives in: kept alive as long as any of its objects, because
    /// closing a file (strong degree) invalidates them all.
    let owner: HDF5File?

    init(id: hid_t, file: String, path: String, owner: HDF5File?) {
        self.id = id
        self.file = file
        self.path = path
        self.owner = owner
    }

    /// The file object to hand to children.
    var fileObject: HDF5File { owner ?? (self as! HDF5File) }

    deinit { if !(self is HDF5File) { ReadGuard.reading(file) { _ = H5Gclose(id) } } }

    func childPath(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// Whether a link `name` (a relative path, possibly nested like "a/b") exists.
    public func exists(_ name: String) -> Bool {
        ReadGuard.reading(file) {
            var prefix = ""
            for component in name.split(separator: "/") {
                prefix += prefix.isEmpty ? String(component) : "/" + component
                if H5Lexists(id, prefix, lockstep_h5p_default()) <= 0 { return false }
            }
            return !prefix.isEmpty
        }
    }

    /// Opens dataset `name`; the error names the file and the dataset.
    public func dataset(_ name: String) throws -> HDF5Dataset {
        guard exists(name) else { throw HDF5Error(file: file, object: childPath(name), message: "missing dataset") }
        return try ReadGuard.reading(file) {
            let d = try H5.check(H5Dopen2(id, name, lockstep_h5p_default()), file: file, object: childPath(name), "cannot open dataset")
            return try HDF5Dataset(id: d, file: file, path: childPath(name), owner: fileObject)
        }
    }

    /// Opens group `name`.
    public func group(_ name: String) throws -> HDF5Group {
        guard exists(name) else { throw HDF5Error(file: file, object: childPath(name), message: "missing group") }
        let g = try ReadGuard.reading(file) {
            try H5.check(H5Gopen2(id, name, lockstep_h5p_default()), file: file, object: childPath(name), "cannot open group")
        }
        return HDF5Group(id: g, file: file, path: childPath(name), owner: fileObject)
    }

    /// Creates group `name` (or opens it if it exists).
    public func createGroup(_ name: String) throws -> HDF5Group {
        if exists(name) { return try group(name) }
        let lcpl = H5Pcreate(lockstep_h5p_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let g = try H5.check(H5Gcreate2(id, name, lcpl, lockstep_h5p_default(), lockstep_h5p_default()),
                             file: file, object: childPath(name), "cannot create group")
        return HDF5Group(id: g, file: file, path: childPath(name), owner: fileObject)
    }

    /// Names of the direct members, in name order.
    public func memberNames() throws -> [String] {
        try ReadGuard.reading(file) { try readMemberNames() }
    }

    private func readMemberNames() throws -> [String] {
        var info = H5G_info_t()
        try H5.check(H5Gget_info(id, &info), file: file, object: path, "cannot list members")
        return try (0..<Int(info.nlinks)).map { i in
            let n = try H5.check(H5Lget_name_by_idx(id, ".", lockstep_h5_index_name(), lockstep_h5_iter_inc(), hsize_t(i), nil, 0,
                                                    lockstep_h5p_default()), file: file, object: path, "cannot read member \(i)")
            var buf = [CChar](repeating: 0, count: n + 1)
            H5Lget_name_by_idx(id, ".", lockstep_h5_index_name(), lockstep_h5_iter_inc(), hsize_t(i), &buf, n + 1, lockstep_h5p_default())
            return H5.string(fromCString: buf)
        }
    }

    /// Whether member `name` is a group (false for datasets and missing names).
    public func isGroup(_ name: String) -> Bool {
        guard exists(name) else { return false }
        return ReadGuard.reading(file) {
            var info = H5O_info_t()
            guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), lockstep_h5p_default()) >= 0 else { return false }
            return info.type == H5O_TYPE_GROUP
        }
    }

    /// Creates dataset `name` of `T` with `shape`, optionally chunked (`chunk` dims) and
    /// deflate-compressed (level 1–9). Intermediate groups are created.
    public func createDataset<T: HDF5Scalar>(_ name: String, of: T.Type, shape: [Int], chunk: [Int]? = nil,
                                             deflate: Int? = nil) throws -> HDF5Dataset {
        let object = childPath(name)
        let dims = shape.map { hsize_t($0) }
        let space = try H5.check(dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil),
                                 file: file, object: object, "cannot create dataspace \(shape)")
        defer { H5Sclose(space) }
        let dcpl = H5Pcreate(lockstep_h5p_dataset_create())
        defer { H5Pclose(dcpl) }
        if let chunk {
            try H5.check(H5Pset_chunk(dcpl, Int32(chunk.count), chunk.map { hsize_t(max($0, 1)) }), file: file, object: object,
                         "cannot set chunk \(chunk)")
            if let deflate { H5Pset_deflate(dcpl, UInt32(deflate)) }
        }
        let lcpl = H5Pcreate(lockstep_h5p_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let d = try H5.check(H5Dcreate2(id, name, T.hdf5FileType, space, lcpl, dcpl, lockstep_h5p_default()),
                             file: file, object: object, "cannot create dataset")
        return try HDF5Dataset(id: d, file: file, path: object, owner: fileObject)
    }

    /// Creates dataset `name` holding `values` with `shape`.
    @discardableResult
    public func write<T: HDF5Scalar>(_ name: String, _ values: [T], shape: [Int]) throws -> HDF5Dataset {
        let d = try createDataset(name, of: T.self, shape: shape)
        try values.withUnsafeBufferPointer { try d.write($0) }
        return d
    }
}
