import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Lockstep's own vector kernels (the `CKernels` target: Winograd's transforms), compiled for
/// AVX-512, AVX2 and baseline x86-64. The best set this CPU runs is used, or the one the
/// environment variable `LOCKSTEP_KERNELS` names (`baseline`, `avx2`, `avx512`), to compare
/// or to check another CPU's code path on this one.
public enum VectorKernels {
    public enum Level: Int, CaseIterable, Comparable, Sendable, CustomStringConvertible {
        case baseline = 0, avx2 = 1, avx512 = 2

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        /// The name `LOCKSTEP_KERNELS` takes.
        public var name: String { ["baseline", "avx2", "avx512"][rawValue] }

        public var description: String {
            switch self {
            case .baseline: "baseline x86-64"
            case .avx2: "AVX2"
            case .avx512: "AVX-512"
            }
        }
    }

    /// The set in use.
    public static var level: Level { Level(rawValue: Int(lockstep_kernels_level())) ?? .baseline }

    /// The best set this CPU runs.
    public static var best: Level { Level(rawValue: Int(lockstep_kernels_best_level())) ?? .baseline }

    /// The sets this CPU runs.
    public static var available: [Level] { Level.allCases.filter { $0.rawValue <= best.rawValue } }

    /// Uses `level` from now on (tests compare the sets); false, changing nothing, if this CPU
    /// cannot run it. Only between kernels: nothing may be running one.
    @discardableResult
    public static func use(_ level: Level) -> Bool { lockstep_kernels_set_level(Int32(level.rawValue)) == 1 }

    /// One line for `lockstep doctor`, e.g. "AVX-512" or "AVX2 (LOCKSTEP_KERNELS=avx2)".
    public static func report() -> String {
        let asked = lockstep_kernels_requested_level()
        return asked >= 0 ? "\(level) (LOCKSTEP_KERNELS=\(requested ?? ""))" : "\(level)"
    }

    /// Throws when `LOCKSTEP_KERNELS` names no set, or one this CPU cannot run.
    public static func verify() throws {
        switch lockstep_kernels_requested_level() {
        case -2:
            throw VectorKernelsError(message: "LOCKSTEP_KERNELS is \"\(requested ?? "")\"; expected baseline, avx2 or avx512 (or unset, for the best this CPU runs)")
        case let asked where asked > Int32(best.rawValue):
            let name = Level(rawValue: Int(asked)).map { "\($0)" } ?? "\(asked)"
            throw VectorKernelsError(message: "LOCKSTEP_KERNELS=\(requested ?? "") asks for \(name) kernels, which this CPU cannot run (it runs \(best)); unset it or name one of: \(available.map(\.name).joined(separator: ", "))")
        default:
            return
        }
    }

    private static var requested: String? { getenv("LOCKSTEP_KERNELS").map { String(cString: $0) } }
}

public struct VectorKernelsError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
