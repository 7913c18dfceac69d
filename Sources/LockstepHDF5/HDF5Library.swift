import CHDF5

/// The libhdf5 build this process runs; for `lockstep doctor` and the startup report.
public enum HDF5Library {
    /// "1.10.8".
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        _ = H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Whether the library was built thread-safe. Lockstep's prefetch thread reads shards
    /// while the main thread writes checkpoints, which needs it.
    public static var isThreadSafe: Bool {
        var flag: hbool_t = false
        _ = H5is_library_threadsafe(&flag)
        return flag
    }
}
