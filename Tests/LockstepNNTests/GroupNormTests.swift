import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class GroupNormTests: XCTestCase {
    func testGradientsAgainstFiniteDifferences() throws {
        for (shape, groups) in [([4, 3, 3], 2), ([6], 3), ([4, 2, 2], 4), ([2, 3, 1], 1)] {
            let norm = GroupNorm(groups: groups)
            try bind(norm, inputShape: shape, seed: 3)
            norm.weight.value.assign((0..<shape[0]).map { 0.5 + Float($0) * 0.3 })
            norm.bias.value.assign((0..<shape[0]).map { Float($0) * 0.1 - 0.2 })
            checkGradients(norm, input: randomTensor([3] + shape, seed: 4), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
        }
    }

    func testEachGroupOfEachSampleIsNormalized() throws {
        let norm = GroupNorm(groups: 2)
        try bind(norm, inputShape: [4, 2, 2])
        let x = randomTensor([3, 4, 2, 2], seed: 9, lo: -3, hi: 5)
        let y = norm.forward(x, ForwardContext(training: true)).toArray()
        for q in 0..<6 {
            let group = y[(q * 8)..<(q * 8 + 8)]
            let mean = group.reduce(0, +) / 8
            let variance = group.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
        // A sample's output does not depend on the others in its batch.
        let alone = norm.forward(x.rows(1..<2), ForwardContext(training: true)).toArray()
        XCTAssertEqual(alone, Array(y[16..<32]))
    }

    func testChannelsThatDoNotSplitAreNamed() {
        XCTAssertThrowsError(try GroupNorm(groups: 4).build(inputShape: [6, 2, 2])) {
            XCTAssert("\($0)".contains("6 channels do not split into 4 groups"), "\($0)")
        }
    }
}

extension GroupNormTests {
    func testMatchesPyTorch() throws {
        for name in ["group_norm", "group_norm_features", "group_norm_instance"] {
            let c = try TorchCase(name, file: "torch_library.h5")
            try c.check(GroupNorm(groups: try c.setting("groups")))
        }
    }
}
