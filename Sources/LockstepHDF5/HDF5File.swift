import CHDF5
#if canImport(Glibc)
import Glibc
#endif

/// An open HDF5 file; also its root group.
///
/// Files are opened read-only unless created. Closing uses HDF5's "strong" degree so that
/// `close()` really releases the file (needed before an atomic rename).
public final class HDF5File: HDF5Group, @unchecked Sendable {
    private var closed = false

    /// Opens an existing file read-only; the error says whether it is missing, not HDF5, or damaged.
    public static func open(_ path: String) throws -> HDF5File {
        _ = H5.quiet
        if access(path, F_OK) != 0 { throw HDF5Error(file: path, message: "no such file") }
        if access(path, R_OK) != 0 { throw HDF5Error(file: path, message: "file is not readable") }
        return try ReadGuard.reading(path) {
            if H5Fis_hdf5(path) <= 0 {
                throw HDF5Error(file: path, message: "not an HDF5 file (truncated, or another format)", reason: H5.takeStack())
            }
            let fapl = H5Pcreate(lockstep_h5p_file_access())
            defer { H5Pclose(fapl) }
            H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
            let id = try H5.check(H5Fopen(path, lockstep_h5f_acc_rdonly(), fapl), file: path, "cannot open (damaged or truncated file?)")
            return HDF5File(id: id, file: path, path: "/", owner: nil)
        }
    }

    /// Creates (truncating) a file.
    public static func create(_ path: String) throws -> HDF5File {
        _ = H5.quiet
        let fapl = H5Pcreate(lockstep_h5p_file_access())
        defer { H5Pclose(fapl) }
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)
        let id = try H5.check(H5Fcreate(path, lockstep_h5f_acc_trunc(), lockstep_h5p_default(), fapl), file: path, "cannot create file")
        return HDF5File(id: id, file: path, path: "/", owner: nil)
    }

    /// Flushes and closes; further use of this file or its objects fails.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try H5.check(H5Fclose(id), file: file, "cannot close (write error?)")
    }

    deinit { if !closed { ReadGuard.reading(file) { _ = H5Fclose(id) } } }

    /// Writes a file so that `path` is either the old file or the complete new one, never a
    /// partial write: `body` fills a temporary file beside `path`, which is closed, fsynced and
    /// renamed over `path`, and the directory is fsynced. On error the temporary is removed.
    /// With `digest`, the file's sha256 sidecar (`FileDigest`) is written before the rename.
    public static func writeAtomically(to path: String, digest: Bool = false, _ body: (HDF5File) throws -> Void) throws {
        let tmp = AtomicFile.temporaryPath(for: path)
        do {
            let f = try create(tmp)
            try body(f)
            try f.close()
            if digest { try FileDigest.writeSidecar(digest: try FileDigest.sha256(tmp), for: path) }
            try AtomicFile.commit(temporary: tmp, to: path)
        } catch {
            unlink(tmp)
            throw error
        }
    }
}

/// Crash-safe replacement of a file: write a temporary beside it, fsync, rename, fsync the directory.
public enum AtomicFile {
    /// A temporary name in the same directory as `path` (so rename is atomic), unique per process.
    public static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(dir).\(base).tmp-\(getpid())"
    }

    /// fsyncs `temporary`, renames it to `path`, fsyncs the directory.
    public static func commit(temporary: String, to path: String) throws {
        try fsyncPath(temporary, isDirectory: false)
        guard rename(temporary, path) == 0 else {
            throw HDF5Error(file: path, message: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
        }
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        try fsyncPath(dir.isEmpty ? "/" : dir, isDirectory: true)
    }

    /// Writes `bytes` to `path` atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = temporaryPath(for: path)
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HDF5Error(file: path, message: "cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n <= 0 {
                let reason = String(cString: strerror(errno))
                Glibc.close(fd)
                unlink(tmp)
                throw HDF5Error(file: path, message: "write failed: \(reason)")
            }
            written += n
        }
        Glibc.close(fd)
        do { try commit(temporary: tmp, to: path) } catch { unlink(tmp); throw error }
    }

    private static func fsyncPath(_ path: String, isDirectory: Bool) throws {
        let fd = Glibc.open(path, isDirectory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
        guard fd >= 0 else { throw HDF5Error(file: path, message: "cannot open for fsync: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 && !isDirectory {
            throw HDF5Error(file: path, message: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }
}
