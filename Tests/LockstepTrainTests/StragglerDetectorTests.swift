import LockstepOperations
import XCTest

/// The straggler watch: silent on ranks that differ by noise, a slowed rank named once its
/// slowness persists, with the phase where it loses.
final class StragglerDetectorTests: XCTestCase {
    let hosts = ["a", "b", "c", "d"]

    /// Own-work times (data_wait, forward, backward, optimizer) of 4 ranks, ±6 % apart at random.
    func healthy(_ rng: inout SystemRandomNumberGenerator) -> [[Double]] {
        (0..<4).map { _ in [0.3, 2.0, 3.0, 0.5].map { $0 * Double.random(in: 0.94...1.06, using: &rng) } }
    }

    func testHealthyRanksAreNeverNamed() {
        var detector = StragglerDetector(), rng = SystemRandomNumberGenerator()
        for window in 1...200 { XCTAssertNil(detector.observe(healthy(&rng), hosts: hosts, step: 10 * window)) }
    }

    func testASlowedRankIsNamedAfterThreeWindowsOnce() {
        var detector = StragglerDetector(), rng = SystemRandomNumberGenerator()
        var findings: [StragglerDetector.Finding] = []
        for window in 1...6 {
            var times = healthy(&rng)
            times[2][0] += 8  // rank 2 waits 8 ms more for every batch
            if let f = detector.observe(times, hosts: hosts, step: 10 * window) { findings.append(f) }
        }
        XCTAssertEqual(findings.count, 1, "named once")
        let f = try! XCTUnwrap(findings.first)
        XCTAssertEqual(f.rank, 2)
        XCTAssertEqual(f.host, "c")
        XCTAssertEqual(f.phase, "data_wait")
        XCTAssertEqual(f.step, 30, "after the third slow window")
        XCTAssertEqual(f.excessMilliseconds, 8, accuracy: 1.5)
        XCTAssert(f.line.contains("rank 2 on c is"), f.line)
    }

    func testOneSlowWindowIsNotAStraggler() {
        var detector = StragglerDetector(), rng = SystemRandomNumberGenerator()
        for window in 1...20 {
            var times = healthy(&rng)
            if window % 3 == 0 { times[1][2] += 20 }  // a checkpoint write, now and then
            XCTAssertNil(detector.observe(times, hosts: hosts, step: window))
        }
    }

    func testTwoRanksAndARecovery() {
        var detector = StragglerDetector()
        let slow = [[10.0, 2, 3, 0.5], [0.1, 2, 3, 0.5]], fine = [[0.1, 2, 3, 0.5], [0.1, 2, 3, 0.5]]
        let first = (1...3).compactMap { detector.observe(slow, hosts: hosts, step: $0) }
        XCTAssertEqual(first.map(\.rank), [0], "with 2 ranks the median is their mean")
        XCTAssertNil(detector.observe(fine, hosts: hosts, step: 4))
        XCTAssertNil(detector.current, "caught up")
        let again = (5...7).compactMap { detector.observe(slow, hosts: hosts, step: $0) }
        XCTAssertEqual(again.map(\.step), [7], "named again after three more slow windows")
    }
}
