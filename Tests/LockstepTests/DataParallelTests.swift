import Lockstep
import LockstepDistributed
import LockstepNN
import LockstepOptimizers
import LockstepTensor
import LockstepTestSupport
import XCTest

final class DataParallelTests: XCTestCase {
    private func model(seed: UInt64) throws -> Model {
        let m = try Model(inputShape: [4], root: Sequential { Dense(outputSize: 6); Activation(TanhFunction()); Dense(outputSize: 3) })
        m.arena.initialize(seed: seed)
        return m
    }

    /// On one rank, a data-parallel step is the plain step: backward, optimizer.
    func testOneRankStepIsThePlainStep() throws {
        let plain = try model(seed: 3), wrapped = try model(seed: 3)
        let net = try DataParallel(wrapped, communicator: LocalCommunicator())
        let optA = SGD(learningRate: 0.1, momentum: 0.9), optB = SGD(learningRate: 0.1, momentum: 0.9)
        let loss = SoftmaxCrossEntropy()
        for step in 0..<3 {
            let x = randomTensor([5, 4], seed: UInt64(10 + step)), labels: [Int32] = [0, 1, 2, 1, 0]
            let context = ForwardContext(training: true, step: step)
            _ = try loss.forward(plain.forward(x, context), .classes(labels))
            plain.backward(loss.backward())
            optA.step(plain.arena)
            _ = try loss.forward(net.forward(x, context), .classes(labels))
            try net.backward(loss.backward())
            try net.step(optB)
        }
        XCTAssertEqual(Array(wrapped.arena.valueBuffer), Array(plain.arena.valueBuffer))
    }

    /// Accumulating passes with reduce: false before the last, as a discriminator's real and
    /// fake halves.
    func testAccumulatingPassesThenOneReduction() throws {
        let m = try model(seed: 4)
        let net = try DataParallel(m, communicator: LocalCommunicator())
        let x1 = randomTensor([2, 4], seed: 1), x2 = randomTensor([2, 4], seed: 2)
        let g = randomTensor([2, 3], seed: 3)
        _ = net.forward(x1, ForwardContext(training: true))
        try net.backward(g, reduce: false)
        _ = net.forward(x2, ForwardContext(training: true))
        let dx = try net.backward(g, needsInputGradient: true, accumulate: true)
        XCTAssertEqual(dx?.shape, [2, 4])
        try net.synchronize()
        let sum = Array(m.arena.gradientBuffer)
        _ = m.forward(x1, ForwardContext(training: true))
        m.backward(g)
        let g1 = Array(m.arena.gradientBuffer)
        _ = m.forward(x2, ForwardContext(training: true))
        m.backward(g)
        assertClose(sum, zip(g1, Array(m.arena.gradientBuffer)).map { $0 + $1 }, rtol: 1e-6, atol: 1e-7, "accumulated")
    }

    /// Gradients holding NaN are not applied: the step throws the error every rank agrees on,
    /// naming the first parameter, and the replica keeps its parameters.
    func testNonFiniteGradientsAreNamedAndNotApplied() throws {
        let m = try model(seed: 5)
        let net = try DataParallel(m, communicator: LocalCommunicator())
        let before = Array(m.arena.valueBuffer)
        let x = randomTensor([2, 4], seed: 6)
        _ = net.forward(x, ForwardContext(training: true))
        let g = randomTensor([2, 3], seed: 7)
        g[1] = .nan
        try net.backward(g)
        XCTAssertThrowsError(try net.step(SGD(learningRate: 0.1))) { error in
            XCTAssert(error is AgreedFailure, "\(type(of: error))")
            XCTAssert("\(error)".contains("non-finite gradients at step 1 (first: 0.weight)"), "\(error)")
        }
        XCTAssertEqual(Array(m.arena.valueBuffer), before, "no update applied")
        XCTAssertEqual(net.steps, 0)
        // Unchecked, as a loop that clips or inspects them itself asks.
        _ = net.forward(x, ForwardContext(training: true))
        try net.backward(g)
        try net.step(SGD(learningRate: 0.1), checksFinite: false)
        XCTAssertEqual(net.steps, 1)
    }

    /// The fingerprint of a training state covers every model and optimizer: a change to any
    /// one changes it.
    func testFingerprintCoversEveryModelAndOptimizer() throws {
        let a = try model(seed: 1), b = try model(seed: 2), opt = Adam(learningRate: 0.1)
        opt.prepareSlots(for: b.arena)
        let first = ReplicaFingerprint.of([(a, nil), (b, opt)])
        XCTAssertEqual(ReplicaFingerprint.of([(a, nil), (b, opt)]), first)
        opt.slots[0].buffer[0] += 1
        XCTAssertNotEqual(ReplicaFingerprint.of([(a, nil), (b, opt)]), first, "optimizer state")
        opt.slots[0].buffer[0] -= 1
        a.arena.valueBuffer[3] += 1
        XCTAssertNotEqual(ReplicaFingerprint.of([(a, nil), (b, opt)]), first, "the first model")
        try TrainingState(models: ["a": a, "b": b], optimizers: ["b": opt]).checkReplicasAgree(communicator: LocalCommunicator(), step: 0)
    }
}

/// A launcher that started N tasks whose MPI each came up alone is refused by name.
final class WorldTests: XCTestCase {
    func testSingletonsOfAMultiTaskLaunchAreRefused() {
        let srun = World.launcherMismatch(worldSize: 1, environment: ["SLURM_STEP_NUM_TASKS": "3", "SLURM_NTASKS": "3"])
        XCTAssert(srun?.contains("srun started 3 tasks (SLURM_STEP_NUM_TASKS=3) but MPI sees a world of 1") ?? false, srun ?? "nil")
        XCTAssert(srun?.contains("srun --mpi=pmix") ?? false, srun ?? "nil")
        XCTAssertNotNil(World.launcherMismatch(worldSize: 1, environment: ["OMPI_COMM_WORLD_SIZE": "2"]))
        XCTAssertNil(World.launcherMismatch(worldSize: 3, environment: ["SLURM_STEP_NUM_TASKS": "3"]), "a world of the tasks")
        XCTAssertNil(World.launcherMismatch(worldSize: 1, environment: ["SLURM_STEP_NUM_TASKS": "1"]), "one task")
        XCTAssertNil(World.launcherMismatch(worldSize: 1, environment: ["SLURM_NTASKS": "4"]), "a batch script's own process")
    }

    func testTasksWithoutAPMIAreRefusedBeforeMPIStarts() {
        let none = World.missingPMI(environment: ["SLURM_STEP_NUM_TASKS": "3"])
        XCTAssert(none?.contains("srun started 3 tasks (SLURM_STEP_NUM_TASKS=3) without a PMI") ?? false, none ?? "nil")
        XCTAssertNil(World.missingPMI(environment: ["SLURM_STEP_NUM_TASKS": "3", "PMIX_RANK": "0"]), "pmix")
        XCTAssertNil(World.missingPMI(environment: ["SLURM_STEP_NUM_TASKS": "3", "PMI_RANK": "0"]), "pmi2")
        XCTAssertNil(World.missingPMI(environment: ["SLURM_STEP_NUM_TASKS": "2", "OMPI_COMM_WORLD_RANK": "0"]), "mpirun's ranks in an allocation")
        XCTAssertNil(World.missingPMI(environment: ["SLURM_STEP_NUM_TASKS": "1"]), "one task")
    }
}
