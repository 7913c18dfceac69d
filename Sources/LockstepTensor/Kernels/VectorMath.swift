/// Exponential, logistic sigmoid and tanh over Float buffers, eight lanes at a time: the gates
/// of recurrent layers, where libm's scalar `expf`/`tanhf` per element cost more than the
/// matrix products.
///
/// exp is Cephes' `expf`: n = round(x/ln 2) (by adding and subtracting 1.5·2²³), r = x − n·ln 2 in two parts, a degree-5
/// polynomial for e^r, scaled by 2ⁿ through the exponent bits; inputs clamped to [−87.3, 88.3].
/// Relative error within 2·10⁻⁷ of `expf` (tested). tanh uses Cephes' odd polynomial below
/// |x| = 0.625 (so small values keep their relative precision) and 1 − 2/(e^{2|x|} + 1) above;
/// sigmoid is 1/(1 + e^{−x}). Tails shorter than eight lanes go through the same code.
public enum VectorMath {
    public typealias Lanes = SIMD8<Float>

    @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes {
        let x = x.replacing(with: 88.3, where: x .> 88.3).replacing(with: -87.3, where: x .< -87.3)
        // n = round(x/ln 2) by the 1.5·2²³ trick: the sum's low mantissa bits hold n.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let e = p * (r * r) + r + 1
        let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return e * unsafeBitCast(bits, to: Lanes.self)
    }

    @inline(__always)
    public static func sigmoid(_ x: Lanes) -> Lanes { 1 / (1 + exp(-x)) }

    @inline(__always)
    public static func tanh(_ x: Lanes) -> Lanes {
        let a = x.replacing(with: -x, where: x .< 0)
        let large = 1 - 2 / (exp(a + a) + 1)
        let z = x * x
        var p = Lanes(repeating: -5.704_988_72e-3)
        p = p * z + 2.063_908_88e-2
        p = p * z - 5.373_971_56e-2
        p = p * z + 1.333_144_22e-1
        p = p * z - 3.333_328_19e-1
        let small = x + x * z * p
        let signed = large.replacing(with: -large, where: x .< 0)
        return signed.replacing(with: small, where: a .< 0.625)
    }

    /// Loads lanes i..<i+8 of `x`, or the `count − i` left and zeros.
    @inline(__always)
    static func load(_ x: UnsafePointer<Float>, _ i: Int, _ count: Int) -> Lanes {
        if i + 8 <= count { return UnsafeRawPointer(x + i).loadUnaligned(as: Lanes.self) }
        var v = Lanes(repeating: 0)
        for k in 0..<(count - i) { v[k] = x[i + k] }
        return v
    }

    /// Stores `v` to lanes i..<i+8 of `y`, or the `count − i` left.
    @inline(__always)
    static func store(_ v: Lanes, _ y: UnsafeMutablePointer<Float>, _ i: Int, _ count: Int) {
        if i + 8 <= count { UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: Lanes.self); return }
        for k in 0..<(count - i) { y[i + k] = v[k] }
    }

    /// y = σ(x), elementwise; `x` and `y` may be the same buffer.
    public static func sigmoid(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in stride(from: 0, to: count, by: 8) { store(sigmoid(load(x, i, count)), y, i, count) }
    }

    /// y = tanh(x), elementwise; `x` and `y` may be the same buffer.
    public static func tanh(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in stride(from: 0, to: count, by: 8) { store(tanh(load(x, i, count)), y, i, count) }
    }

    /// y = eˣ, elementwise; `x` and `y` may be the same buffer.
    public static func exp(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in stride(from: 0, to: count, by: 8) { store(exp(load(x, i, count)), y, i, count) }
    }
}
