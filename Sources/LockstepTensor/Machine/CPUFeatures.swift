import CMachine

/// Vector instruction-set levels that decide which GEMM kernels a CPU can run, lowest first.
public enum VectorISA: Int, Comparable, Sendable, CustomStringConvertible {
    /// SSE2/SSE3 only (OpenBLAS's Prescott, Core2, Nehalem, … kernels).
    case sse = 0
    /// 256-bit AVX without FMA (Sandybridge kernels).
    case avx = 1
    /// AVX2 with FMA (Haswell and Zen kernels).
    case avx2 = 2
    /// AVX-512 F/BW/VL/DQ (SkylakeX kernels).
    case avx512 = 3

    public static func < (a: VectorISA, b: VectorISA) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .sse: "SSE3"
        case .avx: "AVX"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }

    /// Single-precision FLOPs per cycle and core that GEMM kernels of this level can reach
    /// (two vector multiply-add pipes; one multiply and one add pipe before FMA).
    public var floatFLOPsPerCycle: Double {
        switch self {
        case .sse: 8
        case .avx: 16
        case .avx2: 32
        case .avx512: 64
        }
    }
}

/// What this machine's CPU is and which vector instructions it can run (cpuid, with the
/// OS's register-saving support checked through xgetbv, as OpenBLAS checks it).
public struct CPUFeatures: Sendable, Equatable {
    /// cpuid vendor: "GenuineIntel", "AuthenticAMD", or empty off x86-64.
    public var vendor: String
    /// The brand string, e.g. "Intel(R) Xeon(R) Processor"; virtual machines may shorten it.
    public var brand: String
    /// The highest vector level usable here.
    public var isa: VectorISA

    public init(vendor: String, brand: String, isa: VectorISA) {
        self.vendor = vendor
        self.brand = brand
        self.isa = isa
    }

    /// This machine's CPU.
    public static let current: CPUFeatures = {
        var f = lockstep_cpu_features()
        lockstep_read_cpu_features(&f)
        let vendor = withUnsafeBytes(of: f.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let brand = withUnsafeBytes(of: f.brand) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let isa: VectorISA =
            f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq ? .avx512
            : f.avx2 && f.fma ? .avx2
            : f.avx ? .avx
            : .sse
        return CPUFeatures(vendor: vendor, brand: brand.trimmingSpaces, isa: isa)
    }()

    /// "Intel(R) Xeon(R) Processor (GenuineIntel, AVX-512)".
    public var summary: String {
        "\(brand.isEmpty ? "unknown CPU" : brand) (\(vendor.isEmpty ? "?" : vendor), \(isa))"
    }
}

extension String {
    /// The string without leading and trailing spaces (cpuid pads brand strings).
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
