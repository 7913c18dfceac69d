import LockstepData
import LockstepTensor
import LockstepTestSupport
import XCTest

final class ImageTransformTests: XCTestCase {
    func testBilinearResizeFollowsPyTorchAlignCornersFalse() throws {
        var t = ImageTransform()
        t.resize = (4, 4)
        let y = try t.apply(Tensor(shape: [1, 1, 2, 2], values: [0, 1, 2, 3]))
        // F.interpolate(x, size=4, mode="bilinear", align_corners=False)
        assertClose(y.toArray(), [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3], rtol: 1e-6)
        t.resize = (1, 1)
        XCTAssertEqual(try t.apply(Tensor(shape: [1, 1, 2, 2], values: [0, 1, 2, 3])).toArray(), [1.5], "downsampling averages the centre")
    }

    func testCaffePresetIsBGRMinusImageNetMeans() throws {
        let y = try ImageTransform.caffe().apply(Tensor(shape: [1, 3, 1, 1], values: [10, 20, 30]))
        assertClose(y.toArray(), [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol: 1e-6)
    }

    func testGrayscaleToRGBWithTorchNormalizationAndCenterCrop() throws {
        var t = ImageTransform.torch()
        t.channels = 3
        t.crop = (1, 2)
        XCTAssertEqual(try t.outputShape([1, 3, 4]), [3, 1, 2])
        let y = try t.apply(Tensor(shape: [1, 1, 3, 4], values: (0..<12).map { Float($0) / 11 }))
        let centre: [Float] = [5, 6].map { Float($0) / 11 }
        let expected = (0..<3).flatMap { c in centre.map { ($0 - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c] } }
        assertClose(y.toArray(), expected, rtol: 1e-5)
        XCTAssertThrowsError(try t.outputShape([2, 3, 4])) { XCTAssert("\($0)".contains("2-channel"), "\($0)") }
        t.crop = (5, 5)
        XCTAssertThrowsError(try t.outputShape([1, 3, 4])) { XCTAssert("\($0)".contains("crop 5×5 is larger than the 3×4 image"), "\($0)") }
    }
}
