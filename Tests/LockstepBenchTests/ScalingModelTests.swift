import LockstepBench
import XCTest

/// The scaling model's ring cost, its overlap rule, and the fit of α and β.
final class ScalingModelTests: XCTestCase {
    func model(compute: Double = 0.1, gradientBytes: Double = 100e6) -> ScalingModel {
        ScalingModel(alpha: 2e-6, beta: 1e-10, gradientBytes: gradientBytes, bucketBytes: 25 * 1_048_576, computeSeconds: compute,
                     backwardFraction: 0.6)
    }

    func testRingCostAndBuckets() {
        let m = model()
        XCTAssertEqual(m.allreduce(bytes: 1e6, ranks: 1), 0)
        // 2(p−1)α + 2(p−1)/p·n·β at p = 4: 6·2 µs + 1.5·1e6·1e-10 s.
        XCTAssertEqual(m.allreduce(bytes: 1e6, ranks: 4), 12e-6 + 1.5e-4, accuracy: 1e-12)
        XCTAssertEqual(m.bucketCount, 4)  // 3 full 25 MiB buckets and the rest of 100 MB
        XCTAssertEqual(m.communication(ranks: 4), 4 * 12e-6 + 1.5 * 100e6 * 1e-10, accuracy: 1e-9)
    }

    func testOverlapHidesAllButTheLastBucketBehindBackward() {
        let long = model(compute: 1.0)  // backward 0.6 s ≫ communication: only the last bucket and the agreement show
        let lastBucket = long.allreduce(bytes: 100e6 - 3 * 25 * 1_048_576, ranks: 8)
        XCTAssertEqual(long.stepSeconds(ranks: 8, overlap: true), 1.0 + lastBucket + 3 * 2e-6, accuracy: 1e-12)
        XCTAssertEqual(long.stepSeconds(ranks: 8, overlap: false), 1.0 + long.communication(ranks: 8) + 3 * 2e-6, accuracy: 1e-12)
        let short = model(compute: 0.001)  // backward too short to hide anything much
        XCTAssertEqual(short.stepSeconds(ranks: 8, overlap: true),
                       0.001 + short.communication(ranks: 8) - 0.0006 + 3 * 2e-6, accuracy: 1e-12)
        XCTAssertEqual(long.efficiency(ranks: 1, overlap: true), 1)
        XCTAssertLessThan(short.efficiency(ranks: 64, overlap: true), long.efficiency(ranks: 64, overlap: true))
    }

    func testFitRecoversAlphaAndBetaOverSeveralRankCounts() throws {
        let truth = model()
        var samples: [(ranks: Int, bytes: Double, seconds: Double)] = []
        for p in [2, 3, 8] {
            for n in [1e4, 1e5, 1e6, 1e7] { samples.append((p, n, truth.allreduce(bytes: n, ranks: p))) }
        }
        let (alpha, beta) = try ScalingModel.fit(samples)
        XCTAssertEqual(alpha, 2e-6, accuracy: 1e-12)
        XCTAssertEqual(beta, 1e-10, accuracy: 1e-16)
        XCTAssertThrowsError(try ScalingModel.fit([(1, 1e6, 0.1), (1, 1e7, 0.2)]))
        XCTAssertThrowsError(try ScalingModel.fit([(2, 1e6, 0.1), (4, 1e6, 0.2)]))
    }
}
