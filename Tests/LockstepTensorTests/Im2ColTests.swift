import LockstepTensor
import XCTest

final class Im2ColTests: XCTestCase {
    /// cols[(c·kH + i)·kW + j, s·oh·ow + y·ow + x] = x_s[c, y·sH − pH + i, x·sW − pW + j], or 0 outside.
    func naive(_ x: [Float], _ g: ConvGeometry, samples: Int) -> [Float] {
        let oh = g.outH, ow = g.outW, ld = samples * oh * ow, size = g.channels * g.height * g.width
        var cols = [Float](repeating: .nan, count: g.patchSize * ld)
        for c in 0..<g.channels { for i in 0..<g.kernelH { for j in 0..<g.kernelW { for s in 0..<samples {
            for y in 0..<oh { for q in 0..<ow {
                let iy = y * g.strideH - g.padH + i, ix = q * g.strideW - g.padW + j
                let inside = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width
                cols[((c * g.kernelH + i) * g.kernelW + j) * ld + s * oh * ow + y * ow + q] =
                    inside ? x[s * size + (c * g.height + iy) * g.width + ix] : 0
            } }
        } } } }
        return cols
    }

    /// Every geometry, the "same" ones (stride 1, output as wide as the input: one shifted copy
    /// per row) among them, against the definition; stale values in the buffer never survive.
    func testMatchesTheDefinition() {
        let shapes: [(c: Int, h: Int, w: Int, k: (Int, Int), s: (Int, Int), p: (Int, Int))] = [
            (2, 5, 4, (3, 3), (1, 1), (1, 1)), (1, 7, 7, (5, 5), (1, 1), (2, 2)), (3, 1, 6, (3, 3), (1, 1), (1, 1)),
            (2, 4, 5, (1, 3), (1, 1), (0, 1)), (1, 2, 2, (5, 5), (1, 1), (2, 2)), (2, 6, 5, (3, 3), (1, 1), (3, 1)),
            (2, 6, 6, (3, 3), (2, 2), (1, 1)), (2, 9, 7, (5, 5), (1, 1), (0, 0)), (1, 4, 4, (1, 1), (1, 1), (0, 0)),
        ]
        var rng = CounterRNG(key: 9)
        for t in shapes {
            let g = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernel: t.k, stride: t.s, padding: t.p)
            let samples = 3, x = (0..<(samples * t.c * t.h * t.w)).map { _ in rng.nextNormal() }
            var cols = [Float](repeating: .nan, count: g.patchSize * samples * g.outH * g.outW)
            x.withUnsafeBufferPointer { xp in
                cols.withUnsafeMutableBufferPointer { Im2Col.forward(xp.baseAddress!, $0.baseAddress!, g, samples: samples, sampleStride: t.c * t.h * t.w) }
            }
            XCTAssertEqual(cols, naive(x, g, samples: samples), "\(t)")
        }
    }
}
