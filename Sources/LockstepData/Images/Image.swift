import CImageCodec
import Foundation

/// An 8-bit image in memory: `height` rows of `width` × `channels` bytes (HWC), channels 1 or 3.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)×\(height)×\(channels) image")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Decodes a JPEG or PNG file (libjpeg-turbo, libpng) as PIL's `convert("L"/"RGB")` would:
    /// palettes expanded, 16-bit samples cut to 8, alpha dropped. Errors name the file.
    public static func read(_ path: String) throws -> Image {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): cannot read the file")
        }
        return try decode(Array(data), path: path)
    }

    /// Decodes JPEG or PNG bytes; `path` only names them in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Image {
        var raw = lockstep_image()
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBufferPointer { lockstep_image_decode($0.baseAddress, $0.count, &raw, &message, message.count) }
        guard status == 0 else { throw DataError("\(path): \(Self.text(message))") }
        defer { lockstep_image_free(&raw) }
        let count = Int(raw.width) * Int(raw.height) * Int(raw.channels)
        return Image(width: Int(raw.width), height: Int(raw.height), channels: Int(raw.channels),
                     pixels: Array(UnsafeBufferPointer(start: raw.pixels, count: count)))
    }

    /// Writes the image as PNG, or JPEG when the path ends in .jpg/.jpeg (`quality` 1–100).
    public func write(to path: String, quality: Int = 92) throws {
        var message = [CChar](repeating: 0, count: 256)
        let jpeg = ["jpg", "jpeg"].contains((path as NSString).pathExtension.lowercased())
        let status = pixels.withUnsafeBufferPointer { p in
            jpeg ? lockstep_jpeg_write(path, p.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(quality), &message, message.count)
                 : lockstep_png_write(path, p.baseAddress, Int32(width), Int32(height), Int32(channels), &message, message.count)
        }
        guard status == 0 else { throw DataError("\(path): \(Self.text(message))") }
    }

    /// A C message buffer's text, up to its first NUL.
    private static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The image with `target` channels: gray replicated to RGB, or RGB to gray by ITU-R 601-2
    /// luma (L = 0.299 R + 0.587 G + 0.114 B, PIL's rounding).
    public func converted(channels target: Int) -> Image {
        guard target != channels else { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * target)
        if target == 3 {
            for i in 0..<n { out[3 * i] = pixels[i]; out[3 * i + 1] = pixels[i]; out[3 * i + 2] = pixels[i] }
        } else {
            for i in 0..<n {
                let (r, g, b) = (UInt32(pixels[3 * i]), UInt32(pixels[3 * i + 1]), UInt32(pixels[3 * i + 2]))
                out[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        }
        return Image(width: width, height: height, channels: target, pixels: out)
    }
}
