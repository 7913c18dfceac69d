import Foundation

/// Measures single-precision GEMM speed (n×n×n `sgemm`) to compare with what the kernels in
/// use should reach; for `lockstep doctor`.
public enum GEMMThroughput {
    /// GFLOP/s of `sgemm` on `threads` BLAS threads, repeated for at least `seconds` after
    /// one warm-up call. The process's BLAS thread count is restored afterwards.
    public static func measure(size n: Int = 1024, threads: Int, seconds: Double = 0.5) -> Double {
        let previous = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = previous }
        let a = (0..<n * n).map { Float($0 % 7) / 7 }
        let b = (0..<n * n).map { Float($0 % 5) / 5 }
        var c = [Float](repeating: 0, count: n * n)
        func run() { c.withUnsafeMutableBufferPointer { BLAS.sgemm(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: $0.baseAddress!, ldc: n) } }
        run()
        let clock = ContinuousClock()
        let start = clock.now
        var calls = 0
        var elapsed = 0.0
        repeat {
            run()
            calls += 1
            let d = clock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        } while elapsed < seconds
        return 2 * Double(n * n * n) * Double(calls) / elapsed / 1e9
    }

    /// The CPU clock the kernel reports (/proc/cpuinfo "cpu MHz" of the first CPU), if any.
    /// Virtual machines report their nominal clock; turbo can exceed it.
    public static var clockMHz: Double? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("cpu MHz") {
            return line.split(separator: ":").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }
}
