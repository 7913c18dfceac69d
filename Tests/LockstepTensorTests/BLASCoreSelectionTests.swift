import Foundation
import LockstepTensor
import XCTest

final class BLASCoreSelectionTests: XCTestCase {
    let xeon512 = CPUFeatures(vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) Processor", isa: .avx512)
    let xeon2 = CPUFeatures(vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) CPU E5-2690 v4", isa: .avx2)
    let epyc = CPUFeatures(vendor: "AuthenticAMD", brand: "AMD EPYC", isa: .avx2)

    func decide(_ running: String, _ cpu: CPUFeatures, _ env: [String: String] = [:]) -> BLASCoreSelection.Decision {
        BLASCoreSelection.decide(running: running, cpu: cpu, environment: env)
    }

    /// The CI failure's machine: OpenBLAS 0.3.21 picks Prescott on an AVX-512 Xeon.
    func testOldCoreOnNewerCPUIsReplacedByTheBestItRuns() {
        XCTAssertEqual(decide("Prescott", xeon512), .restart(core: "SkylakeX"))
        XCTAssertEqual(decide("Haswell", xeon512), .restart(core: "SkylakeX"))
        XCTAssertEqual(decide("Nehalem", xeon2), .restart(core: "Haswell"))
        XCTAssertEqual(decide("Prescott", epyc), .restart(core: "Zen"))
        XCTAssertEqual(decide("Sandybridge", epyc, ["OPENBLAS_CORETYPE": ""]), .restart(core: "Zen"), "an empty variable chooses nothing")
    }

    func testRightCoreIsKept() {
        XCTAssertEqual(decide("SkylakeX", xeon512), .keep)
        XCTAssertEqual(decide("Cooperlake", xeon512), .keep)
        XCTAssertEqual(decide("Zen", epyc), .keep)
        XCTAssertEqual(decide("Haswell", epyc), .keep, "Haswell and Zen kernels are the same level")
        XCTAssertEqual(decide("ARMV8", epyc), .keep, "a core this table does not know is left alone")
    }

    func testUsersChoiceWinsUnlessTheCPUCannotRunIt() {
        XCTAssertEqual(decide("Haswell", xeon512, ["OPENBLAS_CORETYPE": "Haswell"]), .keep)
        XCTAssertEqual(decide("Prescott", xeon512, ["OPENBLAS_CORETYPE": "Prescott"]), .keep)
        guard case .unsupported(let message) = decide("SkylakeX", epyc, ["OPENBLAS_CORETYPE": "SkylakeX"]) else {
            return XCTFail("AVX-512 kernels on an AVX2 CPU must be refused")
        }
        XCTAssertTrue(message.contains("OPENBLAS_CORETYPE=SkylakeX selects SkylakeX kernels (AVX-512)"), message)
        XCTAssertTrue(message.contains("set it to Zen"), message)
    }

    func testRestartHappensOnceEvenIfTheLibraryIgnoresTheRequest() {
        let env = ["OPENBLAS_CORETYPE": "SkylakeX", BLASCoreSelection.restartMarker: "Prescott"]
        XCTAssertEqual(decide("Prescott", xeon512, env), .keep)
        let line = BLASCoreSelection.report(running: "Prescott", library: "OpenBLAS 0.3.21 DYNAMIC_ARCH", cpu: xeon512, environment: env)
        XCTAssertTrue(line.contains("restarted with OPENBLAS_CORETYPE=SkylakeX (the library did not take it)"), line)
    }

    /// OpenBLAS's idle threads would spin for 0.1 s after each GEMM, on the cores Lockstep's own
    /// kernel threads need: a process with several BLAS threads restarts with a shorter spin.
    func testSeveralBLASThreadsAskForAShortSpin() {
        let needs = BLASCoreSelection.needsThreadTimeout
        XCTAssertTrue(needs(["OPENBLAS_NUM_THREADS": " 2 "]))
        XCTAssertFalse(needs([:]), "Lockstep runs one BLAS thread unless told otherwise")
        XCTAssertFalse(needs(["OMP_NUM_THREADS": "8"]), "without OPENBLAS_NUM_THREADS Lockstep sets 1 thread")
        XCTAssertFalse(needs(["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "8"]))
        XCTAssertFalse(needs(["OPENBLAS_NUM_THREADS": "2", "OPENBLAS_THREAD_TIMEOUT": "28"]), "the user's own setting is kept")
        XCTAssertFalse(needs(["OPENBLAS_NUM_THREADS": "2", "GOTO_THREAD_TIMEOUT": "10"]))
        func report(_ env: [String: String]) -> String {
            BLASCoreSelection.report(running: "Zen", library: "OpenBLAS 0.3.21", cpu: epyc, environment: env)
        }
        let two = ["OPENBLAS_NUM_THREADS": "2"]
        XCTAssertTrue(report(two.merging(["OPENBLAS_THREAD_TIMEOUT": BLASCoreSelection.threadTimeout]) { $1 })
            .hasSuffix("; idle BLAS threads spin 2^20 cycles"))
        XCTAssertTrue(report(two.merging(["OPENBLAS_THREAD_TIMEOUT": "50"]) { $1 }).hasSuffix("spin 2^30 cycles"), "clamped as OpenBLAS does")
        XCTAssertTrue(report(two.merging(["GOTO_THREAD_TIMEOUT": "2"]) { $1 }).hasSuffix("spin 2^4 cycles"))
        XCTAssertFalse(report(two.merging(["OPENBLAS_THREAD_TIMEOUT": "0"]) { $1 }).contains("spin"), "0 keeps the library's default")
        XCTAssertFalse(report(["OPENBLAS_THREAD_TIMEOUT": "20"]).contains("spin"), "one thread: nothing spins")
    }

    func testTestHookTreatsTheInheritedVariableAsTheLibrarysOwnChoice() {
        let env = ["OPENBLAS_CORETYPE": "Prescott", BLASCoreSelection.simulateMisdetection: "1"]
        XCTAssertEqual(decide("Prescott", epyc, env), .restart(core: "Zen"))
    }

    func testReportSaysWhatWasFoundAndDone() {
        let restarted = BLASCoreSelection.report(
            running: "SkylakeX", library: "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64", cpu: xeon512,
            environment: ["OPENBLAS_CORETYPE": "SkylakeX", BLASCoreSelection.restartMarker: "Prescott"])
        XCTAssertEqual(restarted, "OpenBLAS 0.3.21, SkylakeX kernels (AVX-512) on Intel(R) Xeon(R) Processor (GenuineIntel, AVX-512); "
            + "OpenBLAS had picked Prescott kernels, so Lockstep restarted with OPENBLAS_CORETYPE=SkylakeX")
        let kept = BLASCoreSelection.report(running: "Haswell", library: "OpenBLAS 0.3.21", cpu: xeon512, environment: ["OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertTrue(kept.hasSuffix("kept as OPENBLAS_CORETYPE=Haswell asks, though this CPU runs AVX-512 kernels (SkylakeX): GEMMs may be several times slower"), kept)
        let plain = BLASCoreSelection.report(running: "Zen", library: "OpenBLAS 0.3.21", cpu: epyc, environment: [:])
        XCTAssertEqual(plain, "OpenBLAS 0.3.21, Zen kernels (AVX2+FMA) on AMD EPYC (AuthenticAMD, AVX2+FMA)")
    }

    func testCoreNamesMapToTheirInstructionSets() {
        XCTAssertEqual(BLASCore.isa(ofCore: "skylakex"), .avx512)
        XCTAssertEqual(BLASCore.isa(ofCore: "SapphireRapids"), .avx512)
        XCTAssertEqual(BLASCore.isa(ofCore: "Zen"), .avx2)
        XCTAssertEqual(BLASCore.isa(ofCore: "Excavator"), .avx)
        XCTAssertEqual(BLASCore.isa(ofCore: "Opteron(SSE3)"), .sse)
        XCTAssertNil(BLASCore.isa(ofCore: "POWER9"))
    }

    /// cpuid (through xgetbv) and the kernel's /proc/cpuinfo flags agree on this machine.
    func testCPUFeaturesAgreeWithTheKernel() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let flagsLine = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no flags line in /proc/cpuinfo (not x86-64)")
        }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let expected: VectorISA =
            flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) ? .avx512
            : flags.isSuperset(of: ["avx2", "fma"]) ? .avx2
            : flags.contains("avx") ? .avx : .sse
        XCTAssertEqual(CPUFeatures.current.isa, expected)
        XCTAssertFalse(CPUFeatures.current.vendor.isEmpty)
    }

    /// The running library's core is one the CPU can execute (Runtime refuses the run otherwise).
    func testRunningCoreIsExecutable() throws {
        XCTAssertNoThrow(try BLASCoreSelection.verify())
        XCTAssertTrue(BLASCore.configuration.hasPrefix("OpenBLAS"), BLASCore.configuration)
    }
}
