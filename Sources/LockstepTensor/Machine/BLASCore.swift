import CBLAS

/// The kernel set ("core") OpenBLAS runs. Debian's OpenBLAS is built with DYNAMIC_ARCH and
/// picks a core from cpuid when the library loads; an older library on a newer CPU can pick
/// far too old a core (0.3.21 picks Prescott, SSE3, on Xeons that report only "Intel(R)
/// Xeon(R) Processor"), running GEMMs 3–4× slower than the CPU allows. The choice can only
/// be changed through `OPENBLAS_CORETYPE` before the process starts (see `BLASCoreSelection`).
public enum BLASCore {
    /// The core OpenBLAS runs in this process, as `openblas_get_corename()` names it.
    public static var name: String { String(cString: openblas_get_corename()) }

    /// The library's build line, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The vector level a core's kernels need, or nil for a name this table does not know.
    /// Names are those of OpenBLAS's x86-64 DYNAMIC_ARCH build (case does not matter).
    public static func isa(ofCore core: String) -> VectorISA? {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen": .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": .avx
        case "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
             "nehalem", "athlon", "opteron", "opteron(sse3)", "barcelona", "nano", "bobcat": .sse
        default: nil
        }
    }

    /// The core to ask for on `cpu`: the fastest one its instruction set runs.
    public static func best(for cpu: CPUFeatures) -> String {
        switch cpu.isa {
        case .avx512: "SkylakeX"
        case .avx2: cpu.vendor == "AuthenticAMD" ? "Zen" : "Haswell"
        case .avx: "Sandybridge"
        case .sse: "Prescott"
        }
    }
}
