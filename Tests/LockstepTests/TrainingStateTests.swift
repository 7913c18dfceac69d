import Lockstep
import LockstepDistributed
import LockstepNN
import LockstepOptimizers
import LockstepTensor
import LockstepTestSupport
import XCTest

final class TrainingStateTests: XCTestCase {
    private func pair(seed: UInt64) throws -> (generator: Model, discriminator: Model) {
        let g = try Model(inputShape: [3], root: Sequential { Dense(outputSize: 4); BatchNorm(); ReLU(); Dense(outputSize: 2) })
        let d = try Model(inputShape: [2], root: Sequential { Dense(outputSize: 3); Dense(outputSize: 1) })
        g.arena.initialize(seed: seed)
        d.arena.initialize(seed: seed + 1)
        return (g, d)
    }

    /// Gives both optimizers some state: one step on made-up gradients.
    private func step(_ model: Model, _ optimizer: any Optimizer, seed: UInt64) {
        var rng = CounterRNG(seed: seed)
        for p in model.parameters { for i in 0..<p.count { p.gradient.data[i] = rng.nextUniform() - 0.5 } }
        optimizer.step(model.arena)
    }

    func testRoundTripOfTwoModelsAndTheirOptimizers() throws {
        let dir = temporaryDirectory()
        let comm = LocalCommunicator()
        let (g, d) = try pair(seed: 1)
        let optG = Adam(learningRate: 2e-4, beta1: 0.5), optD = SGD(learningRate: 0.1, momentum: 0.9)
        step(g, optG, seed: 5)
        step(d, optD, seed: 6)
        for b in g.buffers { b.value.fill(0.25) }
        let saved = TrainingState(models: ["generator": g, "discriminator": d], optimizers: ["generator": optG, "discriminator": optD])
        let at = TrainingPosition(step: 120, epoch: 2, positionInEpoch: 7)
        try saved.save(to: dir, position: at, seed: 42, metadata: ["note": "gan"], communicator: comm)

        let (g2, d2) = try pair(seed: 9)
        let optG2 = Adam(learningRate: 2e-4, beta1: 0.5), optD2 = SGD(learningRate: 0.1, momentum: 0.9)
        let restored = TrainingState(models: ["generator": g2, "discriminator": d2], optimizers: ["generator": optG2, "discriminator": optD2])
        let latest = try XCTUnwrap(try TrainingState.latest(in: dir, communicator: comm))
        XCTAssertEqual(latest, dir + "/" + TrainingState.fileName(step: 120))
        let header = try restored.restore(from: latest, communicator: comm)
        XCTAssertEqual(header.position, at)
        XCTAssertEqual(header.seed, 42)
        XCTAssertEqual(header.metadata, ["note": "gan"])
        XCTAssertEqual(Array(g2.arena.valueBuffer), Array(g.arena.valueBuffer))
        XCTAssertEqual(Array(d2.arena.valueBuffer), Array(d.arena.valueBuffer))
        XCTAssertEqual(g2.buffers.map { $0.value.toArray() }, g.buffers.map { $0.value.toArray() })
        XCTAssertEqual(optG2.stepCount, 1)
        for (a, b) in zip(optG.slots, optG2.slots) { XCTAssertEqual(Array(a.buffer), Array(b.buffer), a.name) }
        for (a, b) in zip(optD.slots, optD2.slots) { XCTAssertEqual(Array(a.buffer), Array(b.buffer), a.name) }

        // The same next step from here on.
        step(g, optG, seed: 7)
        step(g2, optG2, seed: 7)
        XCTAssertEqual(Array(g2.arena.valueBuffer), Array(g.arena.valueBuffer))
    }

    func testMismatchesAreNamed() throws {
        let dir = temporaryDirectory()
        let comm = LocalCommunicator()
        let (g, d) = try pair(seed: 1)
        try TrainingState(models: ["generator": g, "discriminator": d], optimizers: ["generator": SGD(learningRate: 0.1, momentum: 0.9)])
            .save(to: dir, position: TrainingPosition(step: 3, epoch: 0, positionInEpoch: 3), seed: 1, communicator: comm)
        let path = dir + "/" + TrainingState.fileName(step: 3)

        let other = try Model(inputShape: [3], root: Sequential { Dense(outputSize: 5) })
        XCTAssertThrowsError(try TrainingState(models: ["generator": other]).restore(from: path, communicator: comm)) {
            XCTAssert("\($0)".contains("model 'generator'") && "\($0)".contains("0.weight"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingState(models: ["critic": d]).restore(from: path, communicator: comm)) {
            XCTAssert("\($0)".contains("holds no model 'critic'"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingState(models: ["generator": g], optimizers: ["generator": Adam(learningRate: 1e-3)])
            .restore(from: path, communicator: comm)) {
            XCTAssert("\($0)".contains("optimizer sgd") && "\($0)".contains("adam"), "\($0)")
        }
    }

    func testADamagedStateIsSkippedForAnOlderOne() throws {
        let dir = temporaryDirectory()
        let comm = LocalCommunicator()
        let (g, _) = try pair(seed: 1)
        let state = TrainingState(models: ["generator": g])
        for s in [10, 20] {
            try state.save(to: dir, position: TrainingPosition(step: s, epoch: 0, positionInEpoch: s), seed: 1, communicator: comm)
        }
        let newest = dir + "/" + TrainingState.fileName(step: 20)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: newest))
        handle.seek(toFileOffset: 600)
        handle.write(Data([0xFF, 0x00, 0xFF, 0x00]))
        handle.closeFile()
        XCTAssertEqual(try TrainingState.latest(in: dir, communicator: comm), dir + "/" + TrainingState.fileName(step: 10))
        XCTAssertThrowsError(try state.restore(from: newest, communicator: comm)) {
            XCTAssert("\($0)".contains(newest), "\($0)")
        }
        XCTAssertNil(try TrainingState.latest(in: dir + "/none", communicator: comm))
    }
}
