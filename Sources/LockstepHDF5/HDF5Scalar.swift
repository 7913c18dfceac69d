import CHDF5

/// A Swift type that maps to an HDF5 numeric type.
public protocol HDF5Scalar {
    /// The in-memory HDF5 type.
    static var hdf5MemoryType: hid_t { get }
    /// The little-endian on-disk HDF5 type used when creating datasets.
    static var hdf5FileType: hid_t { get }
}

extension UInt8: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { lockstep_h5t_native_uint8() }
    public static var hdf5FileType: hid_t { lockstep_h5t_std_u8le() }
}

extension Int32: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { lockstep_h5t_native_int32() }
    public static var hdf5FileType: hid_t { lockstep_h5t_std_i32le() }
}

extension Int64: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { lockstep_h5t_native_int64() }
    public static var hdf5FileType: hid_t { lockstep_h5t_std_i64le() }
}

extension Float: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { lockstep_h5t_native_float() }
    public static var hdf5FileType: hid_t { lockstep_h5t_ieee_f32le() }
}

extension Double: HDF5Scalar {
    public static var hdf5MemoryType: hid_t { lockstep_h5t_native_double() }
    public static var hdf5FileType: hid_t { lockstep_h5t_ieee_f64le() }
}

/// The kind of values a dataset or attribute stores.
public enum HDF5ElementType: Equatable, CustomStringConvertible, Sendable {
    case int(bits: Int, signed: Bool)
    case float(bits: Int)
    case string
    case other(String)

    public var description: String {
        switch self {
        case .int(let bits, let signed): return "\(signed ? "int" : "uint")\(bits)"
        case .float(let bits): return "float\(bits)"
        case .string: return "string"
        case .other(let s): return s
        }
    }

    init(typeID t: hid_t) {
        let size = H5Tget_size(t) * 8
        switch H5Tget_class(t) {
        case H5T_INTEGER: self = .int(bits: size, signed: H5Tget_sign(t) != H5T_SGN_NONE)
        case H5T_FLOAT: self = .float(bits: size)
        case H5T_STRING: self = .string
        default: self = .other("class \(H5Tget_class(t).rawValue)")
        }
    }
}
