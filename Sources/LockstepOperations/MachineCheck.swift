import Foundation
import LockstepDistributed
import LockstepHDF5
import LockstepTensor

/// `lockstep doctor`'s checks of a machine before a run: CPU and BLAS kernels, measured GEMM
/// speed, MPI library and shared-memory transfer, HDF5 build, cores against ranks × threads.
/// A problem means a run would fail or be far slower than it should; each says what to do.
public struct MachineCheck {
    /// One line of the report.
    public struct Finding {
        public enum Level: String { case ok, warning, problem }
        public var level: Level
        public var topic: String
        public var text: String
        /// What to do about a warning or a problem.
        public var advice: String?
    }

    public private(set) var findings: [Finding] = []

    /// Whether any finding is a problem (the doctor then exits non-zero).
    public var hasProblems: Bool { findings.contains { $0.level == .problem } }

    /// Runs every check; `measureGEMM` false skips the timed sgemm (about 2 s).
    public init(budget: CoreBudget, measureGEMM: Bool = true) {
        let cpu = CPUFeatures.current
        let cores = budget.cores
        add(.ok, "CPU", "\(cpu.summary), \(cores) cores")
        checkBLAS(cpu: cpu)
        checkVectorKernels()
        if measureGEMM { checkGEMM(cores: cores) }
        let (allowed, pays, detail) = MPILibrary.singleCopyPays()
        add(allowed ? .ok : .warning, "MPI", "\(MPILibrary.version); single-copy shared memory (CMA): \(detail)",
            allowed ? nil : "ranks on one host then copy through a shared buffer (twice the memory traffic); nothing to do unless large allreduces dominate")
        add(.ok, "CMA", "the local launcher \(pays ? "uses" : "turns off") single-copy shared memory (`lockstep doctor --single-copy` says \(pays ? "cma" : "none"))")
        let safe = HDF5Library.isThreadSafe
        add(safe ? .ok : .problem, "HDF5", "libhdf5 \(HDF5Library.version), \(safe ? "thread-safe" : "not thread-safe")",
            safe ? nil : "Lockstep reads shards on a prefetch thread: install a thread-safe build (Debian's libhdf5-dev is one)")
        add(budget.isOversubscribed ? .problem : .ok, "threads", budget.summary, budget.isOversubscribed ? budget.advice : nil)
    }

    private mutating func add(_ level: Finding.Level, _ topic: String, _ text: String, _ advice: String? = nil) {
        findings.append(Finding(level: level, topic: topic, text: text, advice: advice))
    }

    private mutating func checkBLAS(cpu: CPUFeatures) {
        let running = BLASCore.name
        let line = BLASCoreSelection.report()
        do { try BLASCoreSelection.verify() } catch {
            return add(.problem, "BLAS", line, "\(error)")
        }
        guard let level = BLASCore.isa(ofCore: running), level < cpu.isa else { return add(.ok, "BLAS", line) }
        add(.warning, "BLAS", line, "unset OPENBLAS_CORETYPE so that Lockstep selects \(BLASCore.best(for: cpu)) kernels")
    }

    private mutating func checkVectorKernels() {
        do { try VectorKernels.verify() } catch { return add(.problem, "kernels", "Lockstep's vector kernels", "\(error)") }
        let line = "Lockstep's vector kernels (Winograd, sample conversion): \(VectorKernels.report())"
        guard VectorKernels.level < VectorKernels.best else { return add(.ok, "kernels", line) }
        add(.warning, "kernels", line, "unset LOCKSTEP_KERNELS so that Lockstep uses \(VectorKernels.best) kernels")
    }

    private mutating func checkGEMM(cores: Int) {
        let one = GEMMThroughput.measure(threads: 1)
        let all = GEMMThroughput.measure(threads: cores)
        var text = String(format: "sgemm 1024³: 1 thread %.1f GFLOP/s, %d threads %.1f GFLOP/s", one, cores, all)
        guard let mhz = GEMMThroughput.clockMHz, let level = BLASCore.isa(ofCore: BLASCore.name) else {
            return add(.ok, "GEMM", text)
        }
        let peak = level.floatFLOPsPerCycle * mhz / 1000
        text += String(format: " (%@ kernels reach about %.0f GFLOP/s per core at %.0f MHz: %.0f %%)", BLASCore.name, peak, mhz, 100 * one / peak)
        if one < 0.3 * peak {
            add(.warning, "GEMM", text, "far below the kernels' speed: check for other processes on this core, or CPU throttling")
        } else {
            add(.ok, "GEMM", text)
        }
    }

    /// The report: one line per finding, advice under warnings and problems, a verdict last.
    public func render(host: String) -> String {
        var lines = ["lockstep doctor on \(host)"]
        for f in findings {
            lines.append("  \(f.level.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)) \(f.topic.padding(toLength: 8, withPad: " ", startingAt: 0)) \(f.text)")
            if let advice = f.advice { lines.append("           → \(advice)") }
        }
        let problems = findings.filter { $0.level == .problem }.count
        let warnings = findings.filter { $0.level == .warning }.count
        lines.append(problems == 0 ? "ready: no problems (\(warnings) warning(s))" : "\(problems) problem(s), \(warnings) warning(s): fix the problems above before a run")
        return lines.joined(separator: "\n")
    }
}
