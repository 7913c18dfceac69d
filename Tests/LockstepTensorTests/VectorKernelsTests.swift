import LockstepTensor
import XCTest

/// Lockstep's C vector kernels, on every instruction set this CPU runs.
final class VectorKernelsTests: XCTestCase {
    override func tearDown() { VectorKernels.use(VectorKernels.best) }

    /// Bytes to normalized floats gives what Swift's Float(x)·a + b gives (the product rounded
    /// before the sum, no fused multiply-add), for every byte, on every set, at odd lengths.
    func testBytesToFloatsMatchesSwiftOnEverySet() {
        let bytes = (0..<1031).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        let coefficients: [(Float, Float)] = [(1 / 255, 0), (1 / (255 * 0.3530), -0.2860 / 0.3530), (0.0173, -1.987)]
        for level in VectorKernels.available {
            XCTAssertTrue(VectorKernels.use(level))
            for (a, b) in coefficients {
                for count in [0, 1, 15, 16, 17, 1031] {
                    var out = [Float](repeating: .nan, count: count + 1)
                    bytes.withUnsafeBufferPointer { src in
                        out.withUnsafeMutableBufferPointer { VectorOps.bytesToFloats(src.baseAddress!, count: count, scale: a, offset: b, into: $0.baseAddress!) }
                    }
                    let expected = bytes.prefix(count).map { Float($0) * a + b }
                    XCTAssertEqual(Array(out.prefix(count)), expected, "\(level), a \(a), b \(b), \(count) values")
                    XCTAssert(out[count].isNaN, "\(level): nothing written past \(count) values")
                }
            }
        }
    }
}
