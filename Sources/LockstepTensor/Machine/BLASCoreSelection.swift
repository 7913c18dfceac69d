#if canImport(Glibc)
import Glibc
#endif

/// Makes every process run the best BLAS kernels its CPU can execute, whatever launched it
/// (mpirun on one host or many, srun, a bare `lockstep`): each process checks its own CPU
/// against the core OpenBLAS picked and, when the library picked an older one, re-executes
/// itself once with `OPENBLAS_CORETYPE` set (the library reads it only while loading). A
/// user's own `OPENBLAS_CORETYPE` is kept, unless the CPU cannot run it: that is an error
/// instead of a SIGILL in the first GEMM. The same restart sets how long idle BLAS threads
/// spin (`threadTimeout`) for a process that runs several.
public enum BLASCoreSelection {
    /// Set before re-executing, to the core the library had picked: tells the new process
    /// what was done (for the report) and that it must not re-execute again.
    public static let restartMarker = "LOCKSTEP_BLAS_RESTARTED_FROM"
    /// Test hook: treat an inherited `OPENBLAS_CORETYPE` as the library's own detection, so
    /// the restart can be exercised on a machine whose detection is right.
    public static let simulateMisdetection = "LOCKSTEP_TEST_BLAS_MISDETECTED"

    /// What to do about the running core.
    public enum Decision: Equatable, Sendable {
        /// The core suits the CPU, or the user chose it, or nothing better is known.
        case keep
        /// Re-execute with `OPENBLAS_CORETYPE` set to this core.
        case restart(core: String)
        /// The core needs instructions this CPU lacks; the message says what to do.
        case unsupported(String)
    }

    /// The decision for a process whose library runs `running` on `cpu`, given its environment.
    public static func decide(running: String, cpu: CPUFeatures, environment: [String: String]) -> Decision {
        guard let level = BLASCore.isa(ofCore: running) else { return .keep }
        let requested = chosenCore(environment)
        if level > cpu.isa {
            let cause = requested.map { "OPENBLAS_CORETYPE=\($0) selects" } ?? "OpenBLAS picked"
            return .unsupported("\(cause) \(running) kernels (\(level)), which this CPU, \(cpu.summary), cannot execute: "
                + "unset OPENBLAS_CORETYPE or set it to \(BLASCore.best(for: cpu))")
        }
        let userChose = requested != nil && environment[simulateMisdetection] == nil
        if userChose || environment[restartMarker] != nil || level >= cpu.isa { return .keep }
        return .restart(core: BLASCore.best(for: cpu))
    }

    /// Call first thing in `main`, before any thread starts: re-executes this process once
    /// with what OpenBLAS reads only while loading and this process lacks: the right
    /// `OPENBLAS_CORETYPE` when the library picked too old a core, and `OPENBLAS_THREAD_TIMEOUT`
    /// when it runs several threads (see `threadTimeout`). Returns when nothing needs doing
    /// (or when re-executing failed, which is only slower).
    public static func restartIfNeeded() {
        let environment = currentEnvironment()
        let running = BLASCore.name
        var settings: [(name: String, value: String)] = []
        if case .restart(let core) = decide(running: running, cpu: .current, environment: environment) {
            settings += [("OPENBLAS_CORETYPE", core), (restartMarker, running)]
        }
        if needsThreadTimeout(environment) { settings.append(("OPENBLAS_THREAD_TIMEOUT", threadTimeout)) }
        guard !settings.isEmpty else { return }
        for (name, value) in settings { setenv(name, value, 1) }
        StopSignalCatcher.prepareForExec()
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        StopSignalCatcher.install()
        let reason = String(cString: strerror(errno))
        let wanted = settings.filter { $0.name != restartMarker }.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
        let warning = "lockstep: warning: could not restart with \(wanted) (\(reason)); running OpenBLAS as it loaded, \(running) kernels\n"
        _ = warning.withCString { write(2, $0, strlen($0)) }
        for (name, _) in settings { unsetenv(name) }
    }

    /// How long OpenBLAS's idle worker threads spin before they sleep, as a power of two of
    /// CPU cycles: 2^20, about 0.4 ms. The library's default, 2^28 (about 0.1 s), keeps them
    /// spinning through everything Lockstep's own threads do between GEMMs (convolution chunks,
    /// BatchNorm, activations), on the very cores those threads need: LeNet-5 (W2) at
    /// 1 process × 2 threads ran at 25.9k samples/s, and at 33.9k with 2^20; ResNet-18 (W3)
    /// 76.6 and 80.7; the MLP (W1), all GEMMs, 128k either way (AMD EPYC, AVX-512 kernels).
    public static let threadTimeout = "20"

    /// Whether this process will run several BLAS threads and has no spin time of its own.
    /// Lockstep runs one BLAS thread per rank unless `OPENBLAS_NUM_THREADS` says otherwise
    /// (`OMP_NUM_THREADS` from a site profile does not count: the thread count is then set to 1).
    public static func needsThreadTimeout(_ environment: [String: String]) -> Bool {
        guard environment["OPENBLAS_THREAD_TIMEOUT"] == nil, environment["GOTO_THREAD_TIMEOUT"] == nil else { return false }
        return blasThreads(environment) > 1
    }

    /// The BLAS threads Lockstep will run, from `OPENBLAS_NUM_THREADS` (1 when unset or not a count).
    static func blasThreads(_ environment: [String: String]) -> Int {
        count(environment["OPENBLAS_NUM_THREADS"]).map { max($0, 1) } ?? 1
    }

    /// The spin OpenBLAS takes from `OPENBLAS_THREAD_TIMEOUT` (else `GOTO_THREAD_TIMEOUT`), as a
    /// power of two of cycles, clamped to 4…30 as the library does; nil when it keeps its default.
    static func spinExponent(_ environment: [String: String]) -> Int? {
        let value = ["OPENBLAS_THREAD_TIMEOUT", "GOTO_THREAD_TIMEOUT"].lazy.compactMap { count(environment[$0]) }.first { $0 > 0 }
        return value.map { min(max($0, 4), 30) }
    }

    /// An integer variable's value, spaces ignored (nil when unset or not a number).
    private static func count(_ value: String?) -> Int? { value.flatMap { Int(String($0.filter { !$0.isWhitespace })) } }

    /// Throws when the running core needs instructions this CPU lacks.
    public static func verify() throws {
        if case .unsupported(let message) = decide(running: BLASCore.name, cpu: .current, environment: currentEnvironment()) {
            throw BLASCoreError(message: message)
        }
    }

    /// One line for the startup output: library, core and CPU, plus what was done about a
    /// wrong choice, e.g. "OpenBLAS 0.3.21, SkylakeX kernels on … (OpenBLAS picked Prescott;
    /// restarted with OPENBLAS_CORETYPE=SkylakeX)".
    public static func report() -> String {
        report(running: BLASCore.name, library: BLASCore.configuration, cpu: .current, environment: currentEnvironment())
    }

    public static func report(running: String, library: String, cpu: CPUFeatures, environment: [String: String]) -> String {
        let version = library.split(separator: " ").prefix(2).joined(separator: " ")
        let level = BLASCore.isa(ofCore: running).map { " (\($0))" } ?? ""
        var line = "\(version), \(running) kernels\(level) on \(cpu.summary)"
        let requested = chosenCore(environment)
        if let first = environment[restartMarker] {
            line += "; OpenBLAS had picked \(first) kernels, so Lockstep restarted with OPENBLAS_CORETYPE=\(requested ?? "?")"
            if let requested, requested.lowercased() != running.lowercased() { line += " (the library did not take it)" }
        } else if let requested, let kept = BLASCore.isa(ofCore: running), kept < cpu.isa {
            line += "; kept as OPENBLAS_CORETYPE=\(requested) asks, though this CPU runs \(cpu.isa) kernels "
                + "(\(BLASCore.best(for: cpu))): GEMMs may be several times slower"
        }
        if blasThreads(environment) > 1, let spin = spinExponent(environment) { line += "; idle BLAS threads spin 2^\(spin) cycles" }
        return line
    }

    /// The core `OPENBLAS_CORETYPE` asks for; an empty variable asks for nothing.
    private static func chosenCore(_ environment: [String: String]) -> String? {
        environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func currentEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        for name in ["OPENBLAS_CORETYPE", restartMarker, simulateMisdetection, "OPENBLAS_THREAD_TIMEOUT", "GOTO_THREAD_TIMEOUT",
                     "OPENBLAS_NUM_THREADS"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return environment
    }
}

/// The BLAS kernels in use cannot run on this CPU.
public struct BLASCoreError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
