import Foundation
import LockstepData
import LockstepHDF5
import LockstepTestSupport
import XCTest

/// Decoding and resizing against Pillow (Tests/Fixtures/images, made by make_image_fixtures.py).
final class ImageCodecTests: XCTestCase {
    let expected = try! HDF5File.open(fixturePath("images/expected.h5"))

    func pillow(_ name: String) throws -> (shape: [Int], pixels: [UInt8]) {
        let d = try expected.dataset(name)
        return (d.shape, try d.read(as: UInt8.self))
    }

    func assertMatches(_ name: String, _ image: Image, tolerance: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let (shape, pixels) = try pillow(name)
        let channels = shape.count == 3 ? shape[2] : 1
        XCTAssertEqual([image.height, image.width, image.channels], [shape[0], shape[1], channels], name, file: file, line: line)
        guard image.pixels.count == pixels.count else { return }
        let worst = zip(image.pixels, pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(name): worst pixel differs from Pillow's by \(worst)", file: file, line: line)
    }

    func testDecodesLikePillow() throws {
        // PNG is lossless: every byte equal. JPEG: libjpeg-turbo's islow IDCT, as in Pillow's
        // bundled libjpeg-turbo, so equal too; a unit of slack for another build's rounding.
        for name in ["rgb.png", "rgba.png", "gray_alpha.png", "palette.png", "gray.png", "bilevel.png", "gray16.png"] {
            try assertMatches(name, try Image.read(fixturePath("images/" + name)), tolerance: 0)
        }
        for name in ["rgb.jpg", "gray.jpg", "progressive.jpg"] {
            try assertMatches(name, try Image.read(fixturePath("images/" + name)), tolerance: 1)
        }
    }

    /// CMYK JPEGs as Photoshop and Pillow write them (Adobe's inverted inks, and YCCK): RGB as Pillow's
    /// `convert("RGB")` gives (make_format_fixtures.py).
    func testCMYKJPEGDecodesLikePillow() throws {
        let cmyk = try HDF5File.open(fixturePath("images/cmyk_expected.h5"))
        for name in ["cmyk.jpg", "cmyk_progressive.jpg", "cmyk_ycck.jpg"] {
            let image = try Image.read(fixturePath("images/" + name))
            let d = try cmyk.dataset(name)
            XCTAssertEqual([image.height, image.width, image.channels], d.shape, name)
            let worst = zip(image.pixels, try d.read(as: UInt8.self)).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "\(name): worst pixel differs from Pillow's by \(worst)")
        }
    }

    func testResizesLikePillowBilinear() throws {
        let image = try Image.read(fixturePath("images/rgb.png"))
        for (h, w) in [(11, 16), (40, 50), (7, 7)] {
            try assertMatches("resize_\(h)x\(w)", image.resized(height: h, width: w), tolerance: 1)
        }
    }

    func testDamagedFilesAreNamed() {
        for (name, words) in [("truncated.jpg", "JPEG"), ("truncated.png", "PNG"), ("not_an_image.jpg", "not a JPEG or PNG")] {
            let path = fixturePath("images/" + name)
            XCTAssertThrowsError(try Image.read(path), name) { error in
                XCTAssertTrue("\(error)".hasPrefix(path + ": ") && "\(error)".contains(words), "\(error)")
            }
        }
    }

    func testWritesWhatItReads() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = try Image.read(fixturePath("images/rgb.png"))
        try image.write(to: dir + "/copy.png")
        XCTAssertEqual(try Image.read(dir + "/copy.png"), image)
        try image.write(to: dir + "/copy.jpg", quality: 95)
        let jpeg = try Image.read(dir + "/copy.jpg")
        let mean = zip(jpeg.pixels, image.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(image.pixels.count)
        XCTAssertLessThan(mean, 10, "a quality-95 JPEG of this noisy picture stays close to it (7.6 measured)")
    }

    func testFitCropAndPad() {
        // A 4×8 image, left half 10, right half 200; into 4×4.
        let pixels = (0..<32).map { UInt8($0 % 8 < 4 ? 10 : 200) }
        let image = Image(width: 8, height: 4, channels: 1, pixels: pixels)
        let crop = image.fitted(height: 4, width: 4, fit: .crop)
        XCTAssertEqual(crop.pixels[0..<4], [10, 10, 200, 200], "the centre 4 columns")
        let pad = image.fitted(height: 4, width: 4, fit: .pad)
        XCTAssertEqual([pad.height, pad.width], [4, 4])
        XCTAssertEqual(pad.pixels[0..<4], [0, 0, 0, 0], "a black band above the 2×4 image")
        // Halved with the widened triangle filter: output 1 = (10·.25 + 10·.75 + 10·.75 + 200·.25) / 2.
        XCTAssertEqual(pad.pixels[4..<8], [10, 34, 176, 200])
    }

    func testChannelConversion() {
        let rgb = Image(width: 1, height: 1, channels: 3, pixels: [200, 100, 50])
        XCTAssertEqual(rgb.converted(channels: 1).pixels, [124], "Pillow's L: (200·19595 + 100·38470 + 50·7471 + 2^15) >> 16")
        XCTAssertEqual(Image(width: 1, height: 1, channels: 1, pixels: [7]).converted(channels: 3).pixels, [7, 7, 7])
    }
}
