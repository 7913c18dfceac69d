import LockstepOptimizers
import LockstepTensor
import LockstepTestSupport
import XCTest

final class LearningRateScheduleTests: XCTestCase {
    func testWarmupThenConstantStepAndCosine() {
        let warm = LearningRateSchedule(kind: .constant, baseRate: 0.4, warmupSteps: 4)
        XCTAssertEqual((0..<6).map { warm.rate(step: $0, stepsPerEpoch: 10, totalSteps: 100) }, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
        let step = LearningRateSchedule(kind: .step, baseRate: 1, stepEpochs: 2, gamma: 0.5)
        XCTAssertEqual([0, 19, 20, 39, 40].map { step.rate(step: $0, stepsPerEpoch: 10, totalSteps: 100) }, [1, 1, 0.5, 0.5, 0.25])
        let cosine = LearningRateSchedule(kind: .cosine, baseRate: 1, warmupSteps: 10, minimumRate: 0.1)
        XCTAssertEqual(cosine.rate(step: 10, stepsPerEpoch: 10, totalSteps: 110), 1, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(step: 60, stepsPerEpoch: 10, totalSteps: 110), 0.55, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(step: 110, stepsPerEpoch: 10, totalSteps: 110), 0.1, accuracy: 1e-6)
    }

    func testLinearScalingRule() {
        XCTAssertEqual(LearningRateSchedule.linearlyScaled(0.1, globalBatch: 1024, referenceBatch: 256), 0.4)
    }
}

final class RegularizationTests: XCTestCase {
    func testElasticNetPenaltyAndGradientFollowKeras() {
        let w = Parameter(name: "fc.weight", shape: [1, 3], initializer: .zeros)
        let b = Parameter(name: "fc.bias", shape: [3], initializer: .zeros)
        _ = ParameterArena(parameters: [w, b])
        w.value.assign([1, -2, 0])
        b.value.assign([5, 5, 5])
        let penalty = Regularizer(l1: 0.1, l2: 0.01).apply([w, b])
        XCTAssertEqual(penalty, 0.1 * 3 + 0.01 * 5, accuracy: 1e-7)
        assertClose(w.gradient.toArray(), [0.1 + 0.02, -0.1 - 0.04, 0], rtol: 1e-6)
        XCTAssertEqual(b.gradient.toArray(), [0, 0, 0], "biases are not weights")
    }

    func testPatternsSelectGroups() {
        let p = Parameter(name: "layer1.0.bn1.weight", shape: [4], initializer: .zeros)
        XCTAssertTrue(Regularizer(l2: 1, selection: ParameterSelection(["*bn*"])).selection.contains(p))
        XCTAssertFalse(Regularizer(l2: 1, selection: ParameterSelection(["fc.*"])).selection.contains(p))
        XCTAssertFalse(Regularizer(l2: 1).selection.contains(p), "1-D parameters are not in the default weights group")
        XCTAssertTrue(Glob.matches("layer?.*.conv1.weight", "layer1.0.conv1.weight"))
        XCTAssertFalse(Glob.matches("layer?.conv1", "layer12.conv1"))
    }

    func testClippingByGlobalNorm() {
        let a = Parameter(name: "a", shape: [2], initializer: .zeros), b = Parameter(name: "b", shape: [1], initializer: .zeros)
        let arena = ParameterArena(parameters: [a, b])
        a.gradient.assign([3, 0])
        b.gradient.assign([4])
        XCTAssertEqual(GradientClipping.clip(arena, maxNorm: 1), 5)
        assertClose(a.gradient.toArray() + b.gradient.toArray(), [0.6, 0, 0.8], rtol: 1e-5)
        XCTAssertEqual(GradientClipping.clip(arena, maxNorm: 10), 1, accuracy: 1e-5)
        assertClose(a.gradient.toArray(), [0.6, 0], rtol: 1e-5, "below the limit: unchanged")
    }
}
