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

    /// As DDP's: the first bucket (the last layers, whose gradients come first) is smaller, so
    /// its reduction starts early in backward.
    func testTheFirstBucketIsSmaller() {
        let params = (0..<6).map { Parameter(name: "p\($0)", shape: [1000], initializer: .zeros) }
        let arena = ParameterArena(parameters: params)
        let reducer = GradientReducer(arena: arena, communicator: LocalCommunicator(), bucketBytes: 16000, firstBucketBytes: 4000)
        XCTAssertEqual(reducer.buckets.map(\.parameterCount), [1, 4, 1])
        let even = GradientReducer(arena: arena, communicator: LocalCommunicator(), bucketBytes: 16000, firstBucketBytes: 1 << 20)
        XCTAssertEqual(even.buckets.map(\.parameterCount), [4, 2], "never larger than the others")
    }

    /// With bfloat16, each bucket travels rounded to bfloat16 and comes back as its bfloat16 sum.
    func testBFloat16GradientsAreRoundedThenSummed() throws {
        let params = (0..<4).map { Parameter(name: "p\($0)", shape: [1000], initializer: .zeros) }
        let arena = ParameterArena(parameters: params)
        // 1 + 2^-8 is halfway between bfloat16 neighbours 1 and 1 + 2^-7: ties go to even, 1;
        // 1 + 3·2^-9 rounds up to 1 + 2^-7; 3 is exact.
        let values: [Float] = [1 + 1 / 256, 1 + 3 / 512, 3]
        for (i, p) in params.enumerated() { p.gradient.fill(values[i % 3]) }
        let comm = TwinRanks()
        let reducer = GradientReducer(arena: arena, communicator: comm, bucketBytes: 8000, precision: .bfloat16)
        try reducer.gradientsReady(params.reversed())
        try reducer.finish(averaging: true)
        XCTAssertEqual(comm.log, ["started bfloat16 2016", "blocking bfloat16 2016"])
        let expected: [Float] = [1, 1 + 1 / 128, 3]
        for (i, p) in params.enumerated() { XCTAssert(p.gradient.toArray().allSatisfy { $0 == expected[i % 3] }, "\(p.name)") }
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

    /// Two ranks holding equal gradients, simulated: every reduction doubles its buffer, and
    /// the communicator records which buckets went through the non-blocking path.
    final class TwinRanks: Communicator {
        var rank: Int { 0 }
        var size: Int { 2 }
        var hostname: String { "test" }
        var log: [String] = []
        final class Pending: PendingReduction {
            func test() throws -> Bool { true }
            func wait() throws {}
        }
        func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
            log.append("blocking \(buffer.count)")
            for i in buffer.indices { buffer[i] *= 2 }
        }
        func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws { for i in buffer.indices { buffer[i] *= 2 } }
        func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
        func allreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws {
            log.append("blocking bfloat16 \(buffer.count)")
            BFloat16.accumulate(buffer.baseAddress!, into: buffer.baseAddress!, count: buffer.count)
        }
        func startAllreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws -> PendingReduction {
            log.append("started bfloat16 \(buffer.count)")
            BFloat16.accumulate(buffer.baseAddress!, into: buffer.baseAddress!, count: buffer.count)
            return Pending()
        }
        func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
            log.append("started \(buffer.count)")
            for i in buffer.indices { buffer[i] *= 2 }
            return Pending()
        }
        func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
        func allgather(_ send: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer) throws {}
        func barrier() throws {}
        func abort(code: Int32) -> Never { fatalError("abort") }
    }

    func testBucketsStartAsBackwardFillsThemAndTheLastOneBlocks() throws {
        let params = (0..<4).map { Parameter(name: "p\($0)", shape: [1000], initializer: .zeros) }
        let arena = ParameterArena(parameters: params)
        for p in params { p.gradient.fill(3) }
        let comm = TwinRanks()
        let reducer = GradientReducer(arena: arena, communicator: comm, bucketBytes: 8000)
        XCTAssertEqual(reducer.buckets.count, 2)
        try reducer.gradientsReady([params[3]])
        XCTAssertEqual(comm.log, [], "a bucket waits for all its parameters")
        try reducer.gradientsReady([params[2]])
        XCTAssertEqual(comm.log, ["started 2016"], "the first bucket starts as soon as it is full")
        try reducer.gradientsReady([params[1], params[0]])
        XCTAssertEqual(comm.log.count, 1, "the last bucket is left for finish")
        try reducer.finish(averaging: true)
        XCTAssertEqual(comm.log, ["started 2016", "blocking 2016"])
        XCTAssert(params.allSatisfy { $0.gradient.toArray().allSatisfy { $0 == 3 } }, "sum over 2 ranks, divided by 2")

        // Without averaging the sums stay for the optimizer to scale; without overlap every
        // bucket is reduced, blocking, in finish.
        comm.log = []
        reducer.overlap = false
        try reducer.gradientsReady(params.reversed())
        XCTAssertEqual(comm.log, [])
        try reducer.finish(averaging: false)
        XCTAssertEqual(comm.log, ["blocking 2016", "blocking 2016"])
        XCTAssert(params.allSatisfy { $0.gradient.toArray().allSatisfy { $0 == 6 } })
    }
}
