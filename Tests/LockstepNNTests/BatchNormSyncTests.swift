import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// Sums as if `ranks` ranks each held this rank's batch.
private final class ReplicatedRanks: BatchStatisticsSync {
    let ranks: Double
    private(set) var calls = 0
    init(_ ranks: Int) { self.ranks = Double(ranks) }
    func sum(_ values: UnsafeMutableBufferPointer<Double>) {
        calls += 1
        for i in values.indices { values[i] *= ranks }
    }
}

final class BatchNormSyncTests: XCTestCase {
    private func pair(_ shape: [Int]) throws -> (plain: BatchNorm, synced: BatchNorm, arenas: [ParameterArena]) {
        let plain = BatchNorm(), synced = BatchNorm()
        let a = try bind(plain, inputShape: shape, seed: 2), b = try bind(synced, inputShape: shape, seed: 2)
        for norm in [plain, synced] {
            norm.weight.value.assign((0..<shape[0]).map { 0.5 + Float($0) * 0.25 })
            norm.bias.value.assign((0..<shape[0]).map { Float($0) * 0.1 })
        }
        return (plain, synced, [a, b])
    }

    /// Statistics summed over ranks that hold the same batch are that batch's: the synchronized
    /// layer computes what the plain one does (one rank, and two replicated ones).
    func testSynchronizedEqualsPlainOnTheSameBatch() throws {
        for ranks in [1, 2] {
            for shape in [[3, 4, 5], [6]] {
                let (plain, synced, arenas) = try pair(shape)
                let sync = ReplicatedRanks(ranks)
                synced.synchronization = sync
                let x = randomTensor([4] + shape, seed: 3, lo: -2, hi: 3), gy = randomTensor([4] + shape, seed: 4)
                let context = ForwardContext(training: true)
                assertClose(synced.forward(x, context).toArray(), plain.forward(x, context).toArray(), rtol: 1e-5, atol: 1e-5, "y")
                let gxSynced = synced.backward(gy, needsInputGradient: true, nil)!.toArray()
                assertClose(gxSynced, plain.backward(gy, needsInputGradient: true, nil)!.toArray(), rtol: 1e-4, atol: 1e-5, "gx")
                assertClose(synced.weight.gradient.toArray(), plain.weight.gradient.toArray(), rtol: 1e-4, atol: 1e-5, "dγ")
                assertClose(synced.bias.gradient.toArray(), plain.bias.gradient.toArray(), rtol: 1e-4, atol: 1e-5, "dβ")
                // The running variance is unbiased over the global batch: M/(M − 1), M = ranks × m.
                let m = Float(4 * shape.dropFirst().reduce(1, *)), total = Float(ranks) * m
                let expected = plain.runningVar.value.toArray().map { rv in 0.9 + (rv - 0.9) * (m - 1) / m * total / (total - 1) }
                assertClose(synced.runningVar.value.toArray(), expected, rtol: 1e-5, atol: 1e-6, "running_var")
                assertClose(synced.runningMean.value.toArray(), plain.runningMean.value.toArray(), rtol: 1e-5, atol: 1e-6, "running_mean")
                XCTAssertEqual(sync.calls, 2, "one exchange in forward, one in backward")
                // Evaluation uses the running statistics, with no exchange.
                _ = synced.forward(x, ForwardContext(training: false))
                XCTAssertEqual(sync.calls, 2)
                _ = arenas
            }
        }
    }

    func testSynchronizedGradientsAgainstFiniteDifferences() throws {
        let (_, synced, arenas) = try pair([3, 2, 2])
        synced.synchronization = ReplicatedRanks(1)
        checkGradients(synced, input: randomTensor([4, 3, 2, 2], seed: 5, lo: -2, hi: 2), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
        _ = arenas
    }

    func testEveryBatchNormOfAModelIsFound() throws {
        let model = try Model(inputShape: [2, 4, 4], root: Sequential {
            Conv2D(outChannels: 3, kernel: 3, padding: 1)
            BatchNorm()
            Residual(body: Sequential { Conv2D(outChannels: 3, kernel: 3, padding: 1); BatchNorm() }, post: BatchNorm())
            Flatten()
            Dense(outputSize: 2)
        })
        XCTAssertEqual(model.layers(of: BatchNorm.self).count, 3)
        XCTAssertEqual(model.layers(of: Conv2D.self).count, 2)
    }
}
