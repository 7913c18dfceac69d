import Foundation
import LockstepTensor

/// A small image folder to try `lockstep shard images` and fine-tuning on without a download:
/// one class per shape (disc, ring, square, triangle), each image a shape of random colour,
/// size and place on a noisy background, written by libjpeg-turbo (most) and libpng (every
/// fifth); every seventh is grey. The same seed writes the same files.
public enum DemoImages {
    public static let classes = ["disc", "ring", "square", "triangle"]

    /// Writes `perClass` images of `size`×`size` per class under `directory/<class>/`.
    /// Returns the number of files written.
    @discardableResult
    public static func write(to directory: String, perClass: Int, size: Int, seed: UInt64 = 1) throws -> Int {
        for (c, name) in classes.enumerated() {
            let dir = directory + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            for i in 0..<perClass {
                var rng = CounterRNG(seed: seed, streams: 0xDE30, UInt64(c), UInt64(i))
                var image = draw(shape: c, size: size, rng: &rng)
                if i % 7 == 3 { image = image.converted(channels: 1) }
                try image.write(to: dir + String(format: "/%@-%04d.%@", name, i, i % 5 == 4 ? "png" : "jpg"), quality: 90)
            }
        }
        return classes.count * perClass
    }

    /// One picture of shape `shape`.
    static func draw(shape: Int, size: Int, rng: inout CounterRNG) -> Image {
        let colour = (0..<3).map { _ in 60 + 195 * rng.nextUniform() }
        let background = (0..<3).map { _ in 90 * rng.nextUniform() }
        let radius = Float(size) * (0.18 + 0.14 * rng.nextUniform())
        let cx = radius + (Float(size) - 2 * radius) * rng.nextUniform()
        let cy = radius + (Float(size) - 2 * radius) * rng.nextUniform()
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
                let inside: Bool
                switch shape {
                case 0: inside = dx * dx + dy * dy <= radius * radius
                case 1: let d = (dx * dx + dy * dy).squareRoot(); inside = d <= radius && d >= 0.55 * radius
                case 2: inside = abs(dx) <= 0.8 * radius && abs(dy) <= 0.8 * radius
                default: inside = dy <= 0.7 * radius && dy >= -radius + 1.7 * abs(dx) * 1.0
                }
                for ch in 0..<3 {
                    let v = (inside ? colour[ch] : background[ch]) + 30 * (rng.nextUniform() - 0.5)
                    pixels[(y * size + x) * 3 + ch] = UInt8(max(0, min(255, v)))
                }
            }
        }
        return Image(width: size, height: size, channels: 3, pixels: pixels)
    }
}
