import CHDF5

/// A failed HDF5 operation: which file, which object, what we tried, and HDF5's own reason.
public struct HDF5Error: Error, CustomStringConvertible {
    /// Path of the file on disk.
    public let file: String
    /// Object path inside the file ("/images"), or "" for the file itself.
    public let object: String
    /// What was being done or expected.
    public let message: String
    /// The innermost message of HDF5's error stack, if any.
    public let reason: String

    public init(file: String, object: String = "", message: String, reason: String = "") {
        self.file = file
        self.object = object
        self.message = message
        self.reason = reason
    }

    public var description: String {
        var s = "\(file)"
        if !object.isEmpty { s += ":\(object)" }
        return s + ": " + detail
    }

    /// What failed and HDF5's reason, without the file (for messages that name it themselves).
    public var detail: String { reason.isEmpty ? message : "\(message) (HDF5: \(reason))" }
}

/// Checked calls into libhdf5. Automatic stack printing is turned off once; instead the stack
/// is read into the thrown error.
enum H5 {
    static let quiet: Void = { _ = H5Eset_auto2(lockstep_h5e_default(), nil, nil) }()

    /// Throws unless `rc` is non-negative.
    @discardableResult
    static func check<T: BinaryInteger>(_ rc: T, file: String, object: String = "", _ what: @autoclosure () -> String) throws -> T {
        if rc < 0 { throw HDF5Error(file: file, object: object, message: what(), reason: takeStack()) }
        return rc
    }

    /// A Swift string from a NUL-terminated C buffer.
    static func string(fromCString buf: [CChar]) -> String {
        String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The messages on this thread's HDF5 error stack, innermost last, then clears it.
    static func takeStack() -> String {
        final class Box { var messages: [String] = [] }
        let box = Box()
        let stack = lockstep_h5e_default()
        withExtendedLifetime(box) {
            _ = H5Ewalk2(stack, H5E_WALK_DOWNWARD, { _, desc, data in
                let box = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
                if let d = desc?.pointee.desc { box.messages.append(String(cString: d)) }
                return 0
            }, Unmanaged.passUnretained(box).toOpaque())
        }
        H5Eclear2(stack)
        return box.messages.last ?? ""
    }
}
