import CMPI
import CMachine
import Foundation

/// What the MPI library is and which shared-memory transfer it can use on this machine; for
/// `lockstep doctor` and the startup report. Callable before `MPI_Init`.
public enum MPILibrary {
    /// The first line of `MPI_Get_library_version`, e.g. "Open MPI v4.1.4, package: Debian OpenMPI, …".
    public static var version: String {
        var text = [CChar](repeating: 0, count: Int(lockstep_mpi_max_library_version_string()) + 1)
        var length: Int32 = 0
        MPI_Get_library_version(&text, &length)
        // Open MPI counts the terminating NUL in `length`.
        let full = String(decoding: text.prefix(Int(length)).prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let first = full.split(whereSeparator: \.isNewline).first.map(String.init) ?? full
        return first.trimmingCharacters(in: .whitespaces)
    }

    /// Whether ranks of one host should use single-copy transfers (Open MPI's CMA): allowed
    /// here, and faster than copying twice through a shared buffer. Measured on 4 MB, as one
    /// `process_vm_readv` against two `memcpy`s: in VMs that pin pages slowly the single copy
    /// can be several times slower (0.3-0.6× seen on a Firecracker VM).
    public static func singleCopyPays() -> (allowed: Bool, pays: Bool, detail: String) {
        let (allowed, detail) = singleCopy()
        guard allowed else { return (false, false, detail) }
        // Under Yama's scope 1 a rank may read only processes that allowed it; not worth the risk.
        guard yamaScope() != "1" else { return (true, false, detail + "; the launcher leaves it off under that policy") }
        let speedup = lockstep_single_copy_speedup(4 << 20, 5)
        let measured = String(format: "one process_vm_readv of 4 MB is %.2f× as fast as two memcpy", speedup)
        return speedup > 1 ? (true, true, detail + "; " + measured)
            : (true, false, detail + ", but " + measured + ": copying through shared memory is faster here")
    }

    /// The Yama ptrace policy (nil without Yama).
    private static func yamaScope() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/yama/ptrace_scope", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether single-copy transfers between ranks of one host (Open MPI's CMA, through
    /// process_vm_readv) can work here, and why not. A seccomp profile (containers) or the
    /// Yama ptrace policy can forbid reading a sibling process's memory.
    private static func singleCopy() -> (available: Bool, detail: String) {
        let code = lockstep_process_vm_readv_errno()
        if code != 0 {
            return (false, "process_vm_readv is refused (\(String(cString: strerror(code)))): a seccomp profile or the kernel forbids CMA")
        }
        let yama = yamaScope()
        switch yama {
        case nil, "0": return (true, "process_vm_readv works" + (yama == nil ? " (no Yama policy)" : ", Yama ptrace_scope 0"))
        case "1": return (true, "process_vm_readv works; Yama ptrace_scope 1 allows it only between processes that permit it (PR_SET_PTRACER)")
        default: return (false, "Yama ptrace_scope \(yama!) forbids reading another process's memory")
        }
    }
}
