import Foundation
import LockstepTensor

/// Random changes to training images, the usual fine-tuning set, applied in this order: random
/// resized crop, random crop with padding, horizontal flip, brightness, contrast.
///
/// Each sample's randomness is drawn from (seed, epoch, global sample index) alone, so a sample
/// is changed the same way whatever the number of ranks, and again the same way after a resume.
/// The batch arrives normalized; `PixelAffine` maps it back to stored pixel values where an
/// operation needs them (black padding, brightness, contrast), so these mean what they mean in
/// torchvision whatever the normalization.
public struct Augmentation: Sendable, Equatable {
    /// Pad every side with this many black pixels, then cut a random window of the image's size.
    public var cropPadding: Int?
    /// Random resized crop: an area fraction range of the image, and an aspect-ratio range; the
    /// window is resized back to the image's size (bilinear).
    public var resizedCropScale: [Double]?
    public var resizedCropRatio: [Double] = [3.0 / 4.0, 4.0 / 3.0]
    /// Mirror left-right with probability 1/2.
    public var flip = false
    /// Multiply pixel values by a factor drawn from [1 − b, 1 + b].
    public var brightness = 0.0
    /// Blend with the image's mean grey by a factor drawn from [1 − c, 1 + c].
    public var contrast = 0.0

    public init() {}

    public var isIdentity: Bool { self == Augmentation() }

    /// Augments `batch` [N, C, H, W] in place; row r is global sample `indices[r]`.
    public func apply(_ batch: Tensor, indices: [Int], epoch: Int, seed: UInt64, pixels: PixelAffine) {
        guard !isIdentity else { return }
        let (c, h, w) = (batch.shape[1], batch.shape[2], batch.shape[3])
        let size = c * h * w
        var scratch = [Float](repeating: 0, count: size)
        for (row, sample) in indices.enumerated() {
            var rng = CounterRNG(seed: seed, streams: 0xA06, UInt64(epoch), UInt64(sample))
            let image = batch.data + row * size
            scratch.withUnsafeMutableBufferPointer { tmp in
                if let scale = resizedCropScale { resizedCrop(image, tmp.baseAddress!, c, h, w, scale: scale, rng: &rng) }
                if let pad = cropPadding { paddedCrop(image, tmp.baseAddress!, c, h, w, pad: pad, black: pixels, rng: &rng) }
            }
            if flip && rng.nextUniform() < 0.5 { mirror(image, c, h, w) }
            if brightness > 0 { scaleBrightness(image, c, h * w, factor: factor(brightness, &rng), pixels: pixels) }
            if contrast > 0 { scaleContrast(image, c, h * w, factor: factor(contrast, &rng), pixels: pixels) }
        }
    }

    private func factor(_ spread: Double, _ rng: inout CounterRNG) -> Float {
        Float(max(0, 1 - spread + 2 * spread * Double(rng.nextUniform())))
    }

    /// torchvision's RandomResizedCrop window: up to 10 draws of (area, log-uniform ratio) that
    /// fit, else the centre crop of the clamped ratio; then bilinear back to h × w.
    private func resizedCrop(_ image: UnsafeMutablePointer<Float>, _ tmp: UnsafeMutablePointer<Float>, _ c: Int, _ h: Int, _ w: Int,
                             scale: [Double], rng: inout CounterRNG) {
        let area = Double(h * w)
        let (logLo, logHi) = (log(resizedCropRatio[0]), log(resizedCropRatio[1]))
        var window: (y: Int, x: Int, h: Int, w: Int)?
        for _ in 0..<10 {
            let target = area * (scale[0] + (scale[1] - scale[0]) * Double(rng.nextUniform()))
            let ratio = exp(logLo + (logHi - logLo) * Double(rng.nextUniform()))
            let cw = Int((target * ratio).squareRoot().rounded()), ch = Int((target / ratio).squareRoot().rounded())
            if cw > 0 && ch > 0 && cw <= w && ch <= h {
                window = (Int(rng.next() % UInt64(h - ch + 1)), Int(rng.next() % UInt64(w - cw + 1)), ch, cw)
                break
            }
        }
        let (y0, x0, ch, cw) = window ?? {
            let ratio = Double(w) / Double(h)
            let (ch, cw) = ratio < resizedCropRatio[0] ? (Int((Double(w) / resizedCropRatio[0]).rounded()), w)
                : ratio > resizedCropRatio[1] ? (h, Int((Double(h) * resizedCropRatio[1]).rounded())) : (h, w)
            return ((h - ch) / 2, (w - cw) / 2, ch, cw)
        }()
        tmp.update(from: image, count: c * h * w)
        let sy = Float(ch) / Float(h), sx = Float(cw) / Float(w)
        for p in 0..<c {
            let src = tmp + p * h * w, dst = image + p * h * w
            for y in 0..<h {
                let fy = max(0, (Float(y) + 0.5) * sy - 0.5)
                let ya = min(Int(fy), ch - 1), yb = min(ya + 1, ch - 1), ay = fy - Float(ya)
                for x in 0..<w {
                    let fx = max(0, (Float(x) + 0.5) * sx - 0.5)
                    let xa = min(Int(fx), cw - 1), xb = min(xa + 1, cw - 1), ax = fx - Float(xa)
                    let at = { (yy: Int, xx: Int) in src[(y0 + yy) * w + x0 + xx] }
                    let top = at(ya, xa) * (1 - ax) + at(ya, xb) * ax, bottom = at(yb, xa) * (1 - ax) + at(yb, xb) * ax
                    dst[y * w + x] = top * (1 - ay) + bottom * ay
                }
            }
        }
    }

    /// A random h × w window of the image padded by `pad` black pixels on every side.
    private func paddedCrop(_ image: UnsafeMutablePointer<Float>, _ tmp: UnsafeMutablePointer<Float>, _ c: Int, _ h: Int, _ w: Int,
                            pad: Int, black: PixelAffine, rng: inout CounterRNG) {
        let dy = Int(rng.next() % UInt64(2 * pad + 1)) - pad, dx = Int(rng.next() % UInt64(2 * pad + 1)) - pad
        tmp.update(from: image, count: c * h * w)
        for p in 0..<c {
            let zero = black.normalized(0, channel: p)
            for y in 0..<h {
                for x in 0..<w {
                    let (sy, sx) = (y + dy, x + dx)
                    image[(p * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? tmp[(p * h + sy) * w + sx] : zero
                }
            }
        }
    }

    private func mirror(_ image: UnsafeMutablePointer<Float>, _ c: Int, _ h: Int, _ w: Int) {
        for line in 0..<(c * h) {
            let row = image + line * w
            for x in 0..<(w / 2) { (row[x], row[w - 1 - x]) = (row[w - 1 - x], row[x]) }
        }
    }

    /// Pixel values × factor, clipped to the stored range.
    private func scaleBrightness(_ image: UnsafeMutablePointer<Float>, _ c: Int, _ hw: Int, factor: Float, pixels: PixelAffine) {
        for p in 0..<c {
            for i in 0..<hw {
                let v = image + p * hw + i
                v.pointee = pixels.normalized(pixels.clip(pixels.raw(v.pointee, channel: p) * factor), channel: p)
            }
        }
    }

    /// Pixel values blended with the image's mean grey level (ITU-R 601 luma for 3 channels).
    private func scaleContrast(_ image: UnsafeMutablePointer<Float>, _ c: Int, _ hw: Int, factor: Float, pixels: PixelAffine) {
        let weights: [Float] = c == 3 ? [0.299, 0.587, 0.114] : [Float](repeating: 1 / Float(c), count: c)
        var grey: Float = 0
        for p in 0..<c { for i in 0..<hw { grey += weights[p] * pixels.raw(image[p * hw + i], channel: p) } }
        grey /= Float(hw)
        for p in 0..<c {
            for i in 0..<hw {
                let v = image + p * hw + i
                v.pointee = pixels.normalized(pixels.clip(pixels.raw(v.pointee, channel: p) * factor + (1 - factor) * grey), channel: p)
            }
        }
    }
}

/// How stored pixel values map to what the model sees, per channel: normalized = raw·a + b.
/// `maximum` is the largest stored value (255 for bytes; nil for float data, left unclipped).
public struct PixelAffine: Sendable {
    public var a: [Float]
    public var b: [Float]
    public var maximum: Float?

    public init(a: [Float], b: [Float], maximum: Float?) {
        self.a = a
        self.b = b
        self.maximum = maximum
    }

    /// The map of reading with `normalization` then applying `transform`, for `storedChannels`.
    public init(normalization: Normalization, transform: ImageTransform, storedChannels: Int, bytes: Bool) throws {
        let read = try normalization.coefficients(channels: storedChannels, bytes: bytes)
        let out = transform.channels ?? storedChannels
        a = []
        b = []
        for ch in 0..<out {
            let inCh = storedChannels == 1 ? 0 : (transform.reverseChannels ? out - 1 - ch : ch)
            let m = transform.mean.count == 1 ? transform.mean[0] : transform.mean[ch]
            let s = transform.std.count == 1 ? transform.std[0] : transform.std[ch]
            a.append(read[inCh].a / s)
            b.append((read[inCh].b - m) / s)
        }
        maximum = bytes ? 255 : nil
    }

    func raw(_ x: Float, channel: Int) -> Float { (x - b[channel]) / a[channel] }
    func normalized(_ v: Float, channel: Int) -> Float { v * a[channel] + b[channel] }
    func clip(_ v: Float) -> Float { maximum.map { min(max(v, 0), $0) } ?? v }
}
