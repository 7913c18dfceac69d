import CReadGuard

/// Turns a libhdf5 crash on a damaged file into an error naming the file.
///
/// libhdf5 1.10 trusts the bytes it reads: some damaged files make it follow a wild pointer
/// (SIGSEGV) or divide by zero. Every libhdf5 call Lockstep makes on an existing file runs
/// inside `reading(file)`, which marks the file on this thread; the signal handler that
/// `install` sets prints `LABEL: error: libhdf5 crashed (SIGSEGV) reading FILE: …` and exits
/// with 1. A fatal signal outside a read goes to the handler installed before (the Swift
/// runtime's backtrace, Open MPI's report) as if the guard were not there.
public enum ReadGuard {
    /// Installs the handlers; `label` starts the error line ("rank 0@node1", "lockstep inspect").
    /// Call again after `MPI_Init`, which installs handlers of its own.
    public static func install(label: String) { lockstep_read_guard_install(label) }

    /// The error line also goes to this open file (the rank's log), besides standard error.
    public static func alsoReport(to fileDescriptor: Int32) { lockstep_read_guard_set_log(fileDescriptor) }

    /// Runs `body`, which reads the whole of a file from elsewhere (pretrained weights), marked
    /// as reading `file` throughout, the Swift code between libhdf5 calls included: a damaged
    /// file can make libhdf5 write past a heap block, and the allocation that then aborts may
    /// come after the libhdf5 call returned. Before leaving, the allocator consolidates its free
    /// lists, which finds most such damage while the file is still named.
    public static func whileReading<T>(_ file: String, _ body: () throws -> T) rethrows -> T {
        try reading(file) {
            let result = try body()
            lockstep_read_guard_check_heap()
            return result
        }
    }

    /// Runs `body`, libhdf5 calls on `file`, marked as reading `file`.
    @inline(__always) @discardableResult
    static func reading<T>(_ file: String, _ body: () throws -> T) rethrows -> T {
        try file.withCString { path in
            lockstep_read_guard_enter(path)
            defer { lockstep_read_guard_leave() }
            return try body()
        }
    }
}
