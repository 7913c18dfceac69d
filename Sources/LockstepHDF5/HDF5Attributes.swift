import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// Something that carries HDF5 attributes: a file's root, a group or a dataset.
public protocol HDF5AttributeHolder {
    /// The HDF5 object id.
    var objectID: hid_t { get }
    /// Path of the file on disk.
    var file: String { get }
    /// Path of the object inside the file.
    var path: String { get }
}

extension HDF5Dataset: HDF5AttributeHolder {
    public var objectID: hid_t { id }
}

extension HDF5AttributeHolder {
    /// Whether attribute `name` exists.
    public func hasAttribute(_ name: String) -> Bool { ReadGuard.reading(file) { H5Aexists(objectID, name) > 0 } }

    /// Names of all attributes.
    public func attributeNames() throws -> [String] {
        try ReadGuard.reading(file) { try readAttributeNames() }
    }

    private func readAttributeNames() throws -> [String] {
        var info = H5O_info_t()
        try H5.check(H5Oget_info2(objectID, &info, UInt32(H5O_INFO_NUM_ATTRS)), file: file, object: path, "cannot list attributes")
        return try (0..<Int(info.num_attrs)).map { i in
            let n = try H5.check(H5Aget_name_by_idx(objectID, ".", lockstep_h5_index_name(), lockstep_h5_iter_inc(),
                                                    hsize_t(i), nil, 0, lockstep_h5p_default()),
                                 file: file, object: path, "cannot read attribute name \(i)")
            var buf = [CChar](repeating: 0, count: n + 1)
            H5Aget_name_by_idx(objectID, ".", lockstep_h5_index_name(), lockstep_h5_iter_inc(), hsize_t(i), &buf, n + 1,
                               lockstep_h5p_default())
            return H5.string(fromCString: buf)
        }
    }

    /// Writes (replacing) a string attribute, stored as a fixed-length ASCII/UTF-8 string.
    public func setAttribute(_ name: String, _ value: String) throws {
        let bytes = Array(value.utf8)
        let type = try H5.check(H5Tcopy(lockstep_h5t_c_s1()), file: file, object: path, "cannot create a string type")
        defer { H5Tclose(type) }
        H5Tset_size(type, max(bytes.count, 1))
        H5Tset_cset(type, H5T_CSET_UTF8)
        try writeAttribute(name, type: type, memType: type, dims: []) { id in
            let padded = bytes.isEmpty ? [UInt8(0)] : bytes
            return H5Awrite(id, type, padded)
        }
    }

    /// Writes (replacing) a 1-D array of fixed-length, null-padded strings, as h5py writes a
    /// NumPy `S` array (Keras's `layer_names` and `weight_names`); empty gives a 0-element array.
    public func setAttribute(_ name: String, strings values: [String]) throws {
        let width = max(values.map(\.utf8.count).max() ?? 1, 1)
        let type = try H5.check(H5Tcopy(lockstep_h5t_c_s1()), file: file, object: path, "cannot create a string type")
        defer { H5Tclose(type) }
        H5Tset_size(type, width)
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        var bytes = [UInt8](repeating: 0, count: max(width * values.count, 1))
        for (i, v) in values.enumerated() { for (j, b) in v.utf8.enumerated() { bytes[i * width + j] = b } }
        try writeAttribute(name, type: type, memType: type, dims: [hsize_t(values.count)]) { id in H5Awrite(id, type, bytes) }
    }

    /// Writes (replacing) a 64-bit integer attribute.
    public func setAttribute(_ name: String, _ value: Int) throws { try setAttribute(name, [Int64(value)], scalar: true) }

    /// Writes (replacing) a Double attribute.
    public func setAttribute(_ name: String, _ value: Double) throws { try setAttribute(name, [value], scalar: true) }

    /// Writes (replacing) a 1-D numeric attribute (or a scalar when `scalar` and one value).
    public func setAttribute<T: HDF5Scalar>(_ name: String, _ values: [T], scalar: Bool = false) throws {
        let dims: [hsize_t] = scalar ? [] : [hsize_t(values.count)]
        try writeAttribute(name, type: T.hdf5FileType, memType: T.hdf5MemoryType, dims: dims) { id in
            values.withUnsafeBytes { H5Awrite(id, T.hdf5MemoryType, $0.baseAddress) }
        }
    }

    /// Reads a string attribute (fixed- or variable-length, as h5py and Keras write them).
    public func stringAttribute(_ name: String) throws -> String {
        let strings = try stringArrayAttribute(name)
        guard strings.count == 1 else {
            throw HDF5Error(file: file, object: path, message: "attribute \(name) holds \(strings.count) strings, expected one")
        }
        return strings[0]
    }

    /// Reads a string or string-array attribute.
    public func stringArrayAttribute(_ name: String) throws -> [String] {
        try ReadGuard.reading(file) { try readStrings(name) }
    }

    private func readStrings(_ name: String) throws -> [String] {
        let (attr, type, count) = try openAttribute(name)
        defer { H5Aclose(attr); H5Tclose(type) }
        guard H5Tget_class(type) == H5T_STRING else {
            throw HDF5Error(file: file, object: path, message: "attribute \(name) is \(HDF5ElementType(typeID: type)), expected a string")
        }
        if H5Tis_variable_str(type) > 0 {
            let mem = H5Tcopy(lockstep_h5t_c_s1())
            defer { H5Tclose(mem) }
            H5Tset_size(mem, Int(bitPattern: UInt(bitPattern: -1)))  // H5T_VARIABLE
            H5Tset_cset(mem, H5Tget_cset(type))  // h5py writes UTF-8; no ASCII↔UTF-8 conversion exists
            var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try H5.check(H5Aread(attr, mem, &ptrs), file: file, object: path, "cannot read attribute \(name)")
            defer { for p in ptrs { free(p) } }
            return ptrs.map { $0.map { String(cString: $0) } ?? "" }
        }
        let size = H5Tget_size(type)
        var bytes = [UInt8](repeating: 0, count: size * count)
        try H5.check(H5Aread(attr, type, &bytes), file: file, object: path, "cannot read attribute \(name)")
        return (0..<count).map { i in
            let slice = bytes[(i * size)..<((i + 1) * size)]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: slice[slice.startIndex..<end], as: UTF8.self)
        }
    }

    /// Reads a numeric attribute (scalar or array) converted to `T`.
    public func numericAttribute<T: HDF5Scalar>(_ name: String, as: T.Type = T.self) throws -> [T] {
        try ReadGuard.reading(file) { try readNumbers(name) }
    }

    private func readNumbers<T: HDF5Scalar>(_ name: String) throws -> [T] {
        let (attr, type, count) = try openAttribute(name)
        defer { H5Aclose(attr); H5Tclose(type) }
        let cls = H5Tget_class(type)
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw HDF5Error(file: file, object: path, message: "attribute \(name) is \(HDF5ElementType(typeID: type)), expected a number")
        }
        var out = [T](unsafeUninitializedCapacity: count) { _, n in n = count }
        _ = try out.withUnsafeMutableBytes { buf in
            try H5.check(H5Aread(attr, T.hdf5MemoryType, buf.baseAddress), file: file, object: path, "cannot read attribute \(name)")
        }
        return out
    }

    /// Reads a scalar integer attribute.
    public func intAttribute(_ name: String) throws -> Int {
        let v: [Int64] = try numericAttribute(name)
        guard v.count == 1 else { throw HDF5Error(file: file, object: path, message: "attribute \(name) holds \(v.count) values, expected one") }
        return Int(v[0])
    }

    /// Reads a scalar floating-point attribute.
    public func doubleAttribute(_ name: String) throws -> Double {
        let v: [Double] = try numericAttribute(name)
        guard v.count == 1 else { throw HDF5Error(file: file, object: path, message: "attribute \(name) holds \(v.count) values, expected one") }
        return v[0]
    }

    private func openAttribute(_ name: String) throws -> (attr: hid_t, type: hid_t, count: Int) {
        guard hasAttribute(name) else { throw HDF5Error(file: file, object: path, message: "missing attribute \(name)") }
        let attr = try H5.check(H5Aopen(objectID, name, lockstep_h5p_default()), file: file, object: path, "cannot open attribute \(name)")
        let type = H5Aget_type(attr)
        let space = H5Aget_space(attr)
        defer { H5Sclose(space) }
        let n = H5Sget_simple_extent_npoints(space)
        guard type >= 0, n >= 0 else {
            H5Aclose(attr)
            throw HDF5Error(file: file, object: path, message: "cannot read the type of attribute \(name)", reason: H5.takeStack())
        }
        return (attr, type, Int(n))
    }

    private func writeAttribute(_ name: String, type: hid_t, memType: hid_t, dims: [hsize_t], _ write: (hid_t) -> herr_t) throws {
        _ = H5.quiet
        if hasAttribute(name) { H5Adelete(objectID, name) }
        let space = try H5.check(dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil),
                                 file: file, object: path, "cannot create a dataspace for attribute \(name)")
        defer { H5Sclose(space) }
        let attr = try H5.check(H5Acreate2(objectID, name, type, space, lockstep_h5p_default(), lockstep_h5p_default()),
                                file: file, object: path, "cannot create attribute \(name)")
        defer { H5Aclose(attr) }
        try H5.check(write(attr), file: file, object: path, "cannot write attribute \(name)")
    }
}
