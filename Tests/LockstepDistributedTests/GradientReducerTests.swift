import LockstepDistributed
import LockstepTensor
import XCTest

final class GradientReducerTests: XCTestCase {
    func testBucketsCoverTheArenaInReverseLayoutOrder() {
        let params = (0..<6).map { Parameter(name: "p\($0)", shape: [1000], initializer: .zeros) }
        let arena = ParameterArena(parameters: params)
        let reducer = GradientReducer(arena: arena, communicator: LocalCommunicator(), bucketBytes: 8000)
        // 1008 floats per parameter with padding; a bucket closes once it reaches 2000 floats.
        XCTAssertEqual(reducer.buckets.map(\.parameterCount), [2, 2, 2])
        XCTAssertEqual(reducer.buckets.first?.range.upperBound, arena.count)
        XCTAssertEqual(reducer.buckets.last?.range.lowerBound, 0)
        for (a, b) in zip(reducer.buckets, reducer.buckets.dropFirst()) {
            XCTAssertEqual(a.range.lowerBound, b.range.upperBound, "contiguous, no gaps")
        }
    }

    func testOneRankLeavesGradientsUntouched() throws {
        let p = Parameter(name: "p", shape: [3], initializer: .zeros)
        let arena = ParameterArena(parameters: [p])
        p.gradient.assign([1, 2, 3])
        let reducer = GradientReducer(arena: arena, communicator: LocalCommunicator())
        try reducer.gradientsReady([p])
        try reducer.finish()
        XCTAssertEqual(p.gradient.toArray(), [1, 2, 3])
    }

    func testLocalCommunicatorCollectives() throws {
        let c = LocalCommunicator()
        XCTAssertEqual(c.rank, 0)
        XCTAssertEqual(c.size, 1)
        XCTAssertEqual(try c.sum([1, 2]), [1, 2])
        XCTAssertEqual(try c.broadcast("hello", root: 0), "hello")
    }
}
