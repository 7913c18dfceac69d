import LockstepData
import LockstepTensor
import XCTest

final class AugmentationTests: XCTestCase {
    /// Bytes 0–255 read with scale 1/255, mean 0.5, std 0.25: normalized = v/63.75 − 2.
    let pixels = PixelAffine(a: [1 / 63.75], b: [-2], maximum: 255)

    func batch(_ rows: [[Float]], c: Int = 1, h: Int, w: Int) -> Tensor {
        let t = Tensor(shape: [rows.count, c, h, w])
        for (r, row) in rows.enumerated() { for (i, v) in row.enumerated() { t.data[r * c * h * w + i] = v } }
        return t
    }

    func rows(_ t: Tensor) -> [[Float]] {
        let size = t.count / t.shape[0]
        return (0..<t.shape[0]).map { r in (0..<size).map { t.data[r * size + $0] } }
    }

    func testASampleIsChangedTheSameWayInAnyBatch() {
        var a = Augmentation()
        a.cropPadding = 2
        a.flip = true
        a.brightness = 0.3
        a.contrast = 0.3
        a.resizedCropScale = [0.5, 1]
        let images: [[Float]] = (0..<3).map { (s: Int) -> [Float] in
            (0..<192).map { (i: Int) -> Float in Float((i * 7 + s * 13) % 50) / 25 - 1 }
        }
        let affine = PixelAffine(a: [1 / 63.75, 1 / 63.75, 1 / 63.75], b: [-2, -2, -2], maximum: 255)
        let together = batch(images, c: 3, h: 8, w: 8)
        a.apply(together, indices: [4, 9, 17], epoch: 2, seed: 5, pixels: affine)
        let alone = batch([images[1]], c: 3, h: 8, w: 8)
        a.apply(alone, indices: [9], epoch: 2, seed: 5, pixels: affine)
        XCTAssertEqual(rows(alone)[0], rows(together)[1], "sample 9 alone (another rank's batch) = sample 9 among others")
        XCTAssertNotEqual(rows(together)[1], images[1], "it was changed")
        let nextEpoch = batch([images[1]], c: 3, h: 8, w: 8)
        a.apply(nextEpoch, indices: [9], epoch: 3, seed: 5, pixels: affine)
        XCTAssertNotEqual(rows(nextEpoch)[0], rows(alone)[0], "another epoch, another draw")
    }

    func testFlipMirrorsAndZeroPaddingCropIsIdentity() {
        var a = Augmentation()
        a.flip = true
        let image: [Float] = [1, 2, 3, 4, 5, 6]
        // Over many samples, about half are mirrored; each is either the image or its mirror.
        var mirrored = 0
        for s in 0..<200 {
            let t = batch([image], h: 2, w: 3)
            a.apply(t, indices: [s], epoch: 0, seed: 1, pixels: pixels)
            let out = rows(t)[0]
            if out == [3, 2, 1, 6, 5, 4] { mirrored += 1 } else { XCTAssertEqual(out, image) }
        }
        XCTAssertTrue((80...120).contains(mirrored), "\(mirrored) of 200 mirrored")
        var crop = Augmentation()
        crop.cropPadding = 0
        let t = batch([image], h: 2, w: 3)
        crop.apply(t, indices: [0], epoch: 0, seed: 1, pixels: pixels)
        XCTAssertEqual(rows(t)[0], image)
    }

    func testPaddingIsBlackInStoredPixels() {
        var a = Augmentation()
        a.cropPadding = 3
        let image = [Float](repeating: 1, count: 16)  // stored value 191.25
        var sawPadding = false
        for s in 0..<20 {
            let t = batch([image], h: 4, w: 4)
            a.apply(t, indices: [s], epoch: 0, seed: 1, pixels: pixels)
            for v in rows(t)[0] {
                XCTAssertTrue(v == 1 || v == -2, "\(v): either the image or black (stored 0 → −2)")
                if v == -2 { sawPadding = true }
            }
        }
        XCTAssertTrue(sawPadding)
    }

    func testBrightnessScalesStoredValuesAndClips() {
        var a = Augmentation()
        a.brightness = 0.5
        // Stored 100 and 250: normalized 100/63.75 − 2 and 250/63.75 − 2.
        for s in 0..<20 {
            let t = batch([[100 / 63.75 - 2, 250 / 63.75 - 2]], h: 1, w: 2)
            a.apply(t, indices: [s], epoch: 0, seed: 1, pixels: pixels)
            let stored = rows(t)[0].map { ($0 + 2) * 63.75 }
            let factor = stored[0] / 100
            XCTAssertTrue(factor >= 0.5 - 1e-4 && factor <= 1.5 + 1e-4, "factor \(factor)")
            XCTAssertEqual(stored[1], min(250 * factor, 255), accuracy: 1e-3, "the same factor, clipped at 255")
        }
    }

    func testFullAreaSquareResizedCropIsIdentity() {
        var a = Augmentation()
        a.resizedCropScale = [1, 1]
        a.resizedCropRatio = [1, 1]
        let image = (0..<25).map(Float.init)
        let t = batch([image], h: 5, w: 5)
        a.apply(t, indices: [3], epoch: 0, seed: 1, pixels: pixels)
        XCTAssertEqual(rows(t)[0], image)
    }
}
