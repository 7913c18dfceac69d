import LockstepTensor
import XCTest

final class BFloat16Tests: XCTestCase {
    /// Round to nearest, ties to even, on the 7-bit mantissa; specials kept.
    func testRounding() {
        let cases: [(Float, Float)] = [
            (1, 1), (-2.5, -2.5), (0, 0),
            (1 + 1 / 256, 1),                  // halfway, 1's mantissa is even: down
            (1 + 3 / 256, 1 + 2 / 128),        // halfway above 1 + 2^-7 (odd): up to even
            (1 + 3 / 512, 1 + 1 / 128),        // above halfway: up
            (1 + 1 / 512, 1),                  // below halfway: down
            (Float.greatestFiniteMagnitude, .infinity),  // beyond bfloat16's range
            (.infinity, .infinity), (-.infinity, -.infinity),
            (Float.leastNormalMagnitude, Float.leastNormalMagnitude),
        ]
        for (x, expected) in cases {
            XCTAssertEqual(BFloat16.float(BFloat16.round(x)), expected, "\(x)")
        }
        XCTAssert(BFloat16.float(BFloat16.round(.nan)).isNaN)
        XCTAssert(BFloat16.float(BFloat16.round(Float(bitPattern: 0x7F80_0001))).isNaN, "a NaN whose payload is in the low bits stays NaN")
        XCTAssertEqual(BFloat16.round(-0.0), 0x8000, "the sign of zero is kept")
    }

    /// Any float comes back within half a bfloat16 step (2^-8 relative); sums round once more.
    func testCompressDecompressAndAccumulate() {
        var rng = CounterRNG(key: 3)
        let n = 1000
        let x = (0..<n).map { _ in rng.nextNormal() * 100 }
        var bits = [UInt16](repeating: 0, count: n), back = [Float](repeating: 0, count: n)
        BFloat16.compress(x, into: &bits, count: n)
        BFloat16.decompress(bits, into: &back, count: n)
        for i in 0..<n { XCTAssertLessThanOrEqual(abs(back[i] - x[i]), abs(x[i]) / 256, "\(x[i])") }
        var sum = bits
        BFloat16.accumulate(bits, into: &sum, count: n)
        for i in 0..<n { XCTAssertEqual(BFloat16.float(sum[i]), 2 * back[i], "doubling is exact") }
    }
}
