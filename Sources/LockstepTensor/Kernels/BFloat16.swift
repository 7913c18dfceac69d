/// bfloat16 values (the upper 16 bits of a Float32: its sign, its 8-bit exponent and 7 bits of
/// mantissa) stored as `UInt16`, for gradients sent at half the bytes
/// (`training.allreduce_dtype: bfloat16`). Rounding is to nearest, ties to even, as hardware
/// bfloat16 units and PyTorch's `to(torch.bfloat16)` round; NaN stays NaN, ±Inf stays ±Inf,
/// and a finite value beyond bfloat16's range becomes ±Inf.
public enum BFloat16 {
    /// `x` rounded to bfloat16.
    @inline(__always)
    public static func round(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        let rounded = UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        return x.isNaN ? UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 : rounded  // a quiet NaN, never rounded into Inf
    }

    /// The Float32 value of bfloat16 `b` (exact).
    @inline(__always)
    public static func float(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// dst[i] = round(src[i]).
    public static func compress(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = round(src[i]) }
    }

    /// dst[i] = float(src[i]).
    public static func decompress(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = float(src[i]) }
    }

    /// dst[i] = round(float(dst[i]) + float(src[i])): one step of a sum over ranks, as the
    /// reduction operator of a bfloat16 allreduce runs it.
    public static func accumulate(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { dst[i] = round(float(dst[i]) + float(src[i])) }
    }
}
