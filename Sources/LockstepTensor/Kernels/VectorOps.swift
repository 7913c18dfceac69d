import CKernels
/// Elementwise and reduction kernels over raw Float buffers.
///
/// Plain loops over unsafe pointers: the compiler vectorizes them in release builds.
public enum VectorOps {
    /// out[r, c] += bias[c] for a row-major [rows, cols] matrix.
    @inlinable
    public static func addRowVector(_ bias: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let row = out + r * cols
            for c in 0..<cols { row[c] += bias[c] }
        }
    }

    /// sums[c] = Σ_r m[r, c] for a row-major [rows, cols] matrix.
    @inlinable
    public static func sumRows(_ m: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        sums.update(repeating: 0, count: cols)
        for r in 0..<rows {
            let row = m + r * cols
            for c in 0..<cols { sums[c] += row[c] }
        }
    }

    /// Σ x[i] in Double (for losses and checksums, where Float accumulation drifts).
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += Double(x[i]) }
        return s
    }

    /// Σ x[i] in Float with 16 independent lanes (vectorized; the order of additions differs
    /// from a sequential sum, as BLAS's does). For gradients of biases and scales.
    @inlinable
    public static func sumFloat(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var s = acc.sum()
        while i < count { s += x[i]; i += 1 }
        return s
    }

    /// Whether every x[i] is finite (no NaN, no ±Inf), in one vectorized pass: x − x is 0 for
    /// a finite x and NaN otherwise, and NaN survives any sum.
    @inlinable
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var acc = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc += v - v
            i += 16
        }
        var s = acc.sum()
        while i < count { s += x[i] - x[i]; i += 1 }
        return s == 0
    }

    /// dst[i] = Float(src[i]) · a + b: samples stored as bytes, normalized (in `CKernels`, with
    /// the CPU's widest vectors; the product is rounded before the sum).
    public static func bytesToFloats(_ src: UnsafePointer<UInt8>, count: Int, scale a: Float, offset b: Float,
                                     into dst: UnsafeMutablePointer<Float>) {
        lockstep_bytes_to_floats(src, count, a, b, dst)
    }

    /// dst[i] = src[i], for the short runs of im2col and layout changes, where a memmove call
    /// per run costs more than the copy (explicit vector moves, so the loop is not turned
    /// back into a memmove call).
    @inlinable
    public static func copy(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        if count >= 256 { dst.update(from: src, count: count); return }
        var i = 0
        let from = UnsafeRawPointer(src), to = UnsafeMutableRawPointer(dst)
        while i + 8 <= count {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { dst[i] = src[i]; i += 1 }
    }

    /// Σ (x[i] − mean)² in Float with 16 independent lanes.
    @inlinable
    public static func sumSquaredDeviations(_ x: UnsafePointer<Float>, count: Int, from mean: Float) -> Float {
        var acc = SIMD16<Float>()
        let m = SIMD16<Float>(repeating: mean)
        var i = 0
        let raw = UnsafeRawPointer(x)
        while i + 16 <= count {
            let d = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - m
            acc += d * d
            i += 16
        }
        var s = acc.sum()
        while i < count { let d = x[i] - mean; s += d * d; i += 1 }
        return s
    }

    /// Σ x[i]·y[i] in Float with 16 independent lanes.
    @inlinable
    public static func dotFloat(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        while i + 16 <= count {
            acc += rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var s = acc.sum()
        while i < count { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// x[i] += v.
    @inlinable
    public static func add(_ v: Float, to x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += v }
    }

    /// dst[i] = src[i] + v.
    @inlinable
    public static func add(_ src: UnsafePointer<Float>, _ v: Float, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = src[i] + v }
    }

    /// dst[i] += src[i].
    @inlinable
    public static func add(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] += src[i] }
    }

    /// Σ x[i]² in Double.
    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var s = 0.0
        for i in 0..<count { s += Double(x[i]) * Double(x[i]) }
        return s
    }

    /// x *= alpha.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by alpha: Float) {
        for i in 0..<count { x[i] *= alpha }
    }

    /// Index of the largest element of each row of a row-major [rows, cols] matrix.
    @inlinable
    public static func argmaxRows(_ m: UnsafePointer<Float>, rows: Int, cols: Int) -> [Int] {
        var out = [Int](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = m + r * cols
            var best = 0
            for c in 1..<max(cols, 1) where row[c] > row[best] { best = c }
            out[r] = best
        }
        return out
    }
}
