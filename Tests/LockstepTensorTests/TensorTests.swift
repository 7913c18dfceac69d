import LockstepTensor
import LockstepTestSupport
import XCTest

final class TensorTests: XCTestCase {
    func testShapeValuesAndResize() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.count, 6)
        XCTAssertEqual(t[4], 5)
        t.resize([4, 3])
        XCTAssertEqual(t.shape, [4, 3])
        XCTAssertEqual(t.count, 12)
        t.resize([1, 2])
        XCTAssertEqual(t.count, 2)
    }

    func testReshapedViewSharesStorage() {
        let t = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let v = Tensor(reshaping: t, to: [4])
        v[3] = 9
        XCTAssertEqual(t[3], 9)
        XCTAssertEqual(v.shape, [4])
    }

    /// A view holds the memory, not the tensor: it stays readable (and keeps its values) when
    /// the tensor it came from grows into new memory or goes away.
    func testViewsOutliveTheirTensorsMemoryMoves() {
        var t: Tensor? = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let whole = Tensor(reshaping: t!, to: [6])
        let lastRows = t!.rows(1..<3)
        XCTAssertEqual(lastRows.shape, [2, 2])
        XCTAssertEqual(lastRows.toArray(), [3, 4, 5, 6])
        t!.resize([100, 2])
        t!.fill(-1)
        XCTAssertEqual(whole.toArray(), [1, 2, 3, 4, 5, 6], "the old memory is the view's, untouched by the grown tensor")
        t = nil
        XCTAssertEqual(lastRows.toArray(), [3, 4, 5, 6])
    }

    func testStorageIs64ByteAligned() {
        for n in [1, 3, 17, 1000] {
            XCTAssertEqual(Int(bitPattern: Tensor(shape: [n]).data) % 64, 0)
        }
    }
}

final class ParameterArenaTests: XCTestCase {
    func testParametersAreAlignedViewsIntoOneBuffer() {
        let a = Parameter(name: "a", shape: [3, 5], initializer: .ones)
        let b = Parameter(name: "b", shape: [7], initializer: .constant(2))
        let arena = ParameterArena(parameters: [a, b])
        XCTAssertEqual(a.offset, 0)
        XCTAssertEqual(b.offset, 16)
        XCTAssertEqual(arena.count, 32)
        XCTAssertEqual(arena.parameterCount, 22)
        arena.initialize(seed: 0)
        XCTAssertEqual(arena.values[0], 1)
        XCTAssertEqual(arena.values[15], 0, "padding stays zero")
        XCTAssertEqual(arena.values[16], 2)
        b.gradient[0] = 5
        XCTAssertEqual(arena.gradients[16], 5)
        XCTAssertEqual(Int(bitPattern: b.value.data) % 64, 0)
    }

    func testInitializationDependsOnlyOnSeedAndLayout() {
        func draw(_ seed: UInt64) -> [Float] {
            let p = Parameter(name: "w", shape: [64, 32], initializer: .heNormal)
            let arena = ParameterArena(parameters: [p])
            arena.initialize(seed: seed)
            return p.value.toArray()
        }
        XCTAssertEqual(draw(3), draw(3))
        XCTAssertNotEqual(draw(3), draw(4))
        let w = draw(5)
        let variance = w.reduce(0) { $0 + Double($1 * $1) } / Double(w.count)
        XCTAssertEqual(variance, 2.0 / 32, accuracy: 0.15 * 2.0 / 32, "He normal variance 2/fanIn")
    }

    func testFansFollowPyTorch() {
        XCTAssertEqual(Initializer.fans(of: [10, 20]).fanIn, 20)
        XCTAssertEqual(Initializer.fans(of: [10, 20]).fanOut, 10)
        XCTAssertEqual(Initializer.fans(of: [8, 3, 5, 5]).fanIn, 75)
        XCTAssertEqual(Initializer.fans(of: [8, 3, 5, 5]).fanOut, 200)
    }
}

final class CounterRNGTests: XCTestCase {
    func testDrawsArePureFunctionsOfKeyAndCounter() {
        var a = CounterRNG(seed: 1, streams: 2, 3)
        var b = CounterRNG(seed: 1, streams: 2, 3)
        let first = (0..<5).map { _ in a.next() }
        XCTAssertEqual(first, (0..<5).map { _ in b.next() })
        var c = CounterRNG(key: a.key, counter: 2)
        XCTAssertEqual(c.next(), first[2], "jumping to a counter gives the same draw")
        var d = CounterRNG(seed: 1, streams: 2, 4)
        XCTAssertNotEqual(d.next(), first[0])
    }

    func testUniformAndNormalMoments() {
        var rng = CounterRNG(seed: 42)
        let n = 200_000
        var su = 0.0, sn = 0.0, sn2 = 0.0
        for _ in 0..<n {
            let u = rng.nextUniform()
            XCTAssert(u >= 0 && u < 1)
            su += Double(u)
            let z = Double(rng.nextNormal())
            sn += z
            sn2 += z * z
        }
        XCTAssertEqual(su / Double(n), 0.5, accuracy: 0.005)
        XCTAssertEqual(sn / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(sn2 / Double(n), 1, accuracy: 0.02)
    }
}

final class KernelTests: XCTestCase {
    func testSgemmMatchesNaiveProductForAllTranspositions() {
        let m = 5, n = 4, k = 3
        var rng = CounterRNG(seed: 1)
        let a = (0..<(m * k)).map { _ in rng.nextUniform() }, b = (0..<(k * n)).map { _ in rng.nextUniform() }
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            // Stored matrices: A is m×k (or k×m when transposed), B is k×n (or n×k).
            func A(_ i: Int, _ l: Int) -> Float { ta ? a[l * m + i] : a[i * k + l] }
            func B(_ l: Int, _ j: Int) -> Float { tb ? b[j * k + l] : b[l * n + j] }
            var c = [Float](repeating: 1, count: m * n)
            BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 2, a: a, lda: ta ? m : k, b: b, ldb: tb ? k : n,
                       beta: 0.5, c: &c, ldc: n)
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n {
                var s: Float = 0
                for l in 0..<k { s += A(i, l) * B(l, j) }
                expected[i * n + j] = 2 * s + 0.5
            } }
            assertClose(c, expected, rtol: 1e-5, "sgemm transA \(ta) transB \(tb)")
        }
    }

    func testRowKernels() {
        let m: [Float] = [1, 2, 3, 4, 5, 6]
        var sums = [Float](repeating: 9, count: 3)
        VectorOps.sumRows(m, rows: 2, cols: 3, into: &sums)
        XCTAssertEqual(sums, [5, 7, 9])
        var out = m
        VectorOps.addRowVector([1, 0, -1], to: &out, rows: 2, cols: 3)
        XCTAssertEqual(out, [2, 2, 2, 5, 5, 5])
        XCTAssertEqual(VectorOps.argmaxRows([0, 3, 1, 7, 2, 2], rows: 2, cols: 3), [1, 0])
    }
}

/// The vectorized exp, sigmoid and tanh against libm over a wide range, including the tails
/// shorter than a vector, saturation, and tiny values where tanh must keep relative precision.
final class VectorMathTests: XCTestCase {
    func testAgainstLibm() {
        var xs: [Float] = stride(from: -90, through: 90, by: 0.0137).map { Float($0) }
        xs += [0, 1e-7, -1e-7, 1e-3, -3e-4, 0.62, 0.63, -0.6249, 20, -20, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        var e = [Float](repeating: 0, count: xs.count), s = e, t = e
        VectorMath.exp(xs, into: &e, count: xs.count)
        VectorMath.sigmoid(xs, into: &s, count: xs.count)
        VectorMath.tanh(xs, into: &t, count: xs.count)
        for (i, x) in xs.enumerated() {
            let c = min(max(x, -87.3), 88.3)
            XCTAssertEqual(e[i], expf(c), accuracy: 3e-7 * expf(c), "exp(\(x))")
            XCTAssertEqual(s[i], 1 / (1 + expf(-c)), accuracy: 3e-7, "sigmoid(\(x))")
            XCTAssertEqual(t[i], tanhf(x), accuracy: 4e-7 * max(abs(tanhf(x)), 1e-30) + 1e-37, "tanh(\(x))")
        }
    }
}
