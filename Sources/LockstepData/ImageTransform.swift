import LockstepTensor

/// Per-sample image preprocessing after reading, in this order: replicate a single channel to
/// `channels` (grayscale data into RGB networks), resize (bilinear, PyTorch's
/// `align_corners=False` sampling), center-crop, reverse the channel order (RGB → BGR, for
/// Keras "caffe" weights), then (x − mean[c]) / std[c].
///
/// Presets match how pretrained weights were trained: `caffe` (Keras VGG16/ResNet50: 0–255
/// values, BGR, ImageNet means subtracted, no scaling) and `torch` (torchvision: /255, RGB,
/// ImageNet mean/std).
public struct ImageTransform: Sendable, Equatable {
    public var channels: Int?
    public var resize: (Int, Int)?
    public var crop: (Int, Int)?
    public var reverseChannels = false
    public var mean: [Float] = [0]
    public var std: [Float] = [1]

    public init() {}

    public static func == (a: ImageTransform, b: ImageTransform) -> Bool {
        a.channels == b.channels && a.resize?.0 == b.resize?.0 && a.resize?.1 == b.resize?.1 && a.crop?.0 == b.crop?.0
            && a.crop?.1 == b.crop?.1 && a.reverseChannels == b.reverseChannels && a.mean == b.mean && a.std == b.std
    }

    /// Keras "caffe" mode on 0–255 input (read with scale 1).
    public static func caffe() -> ImageTransform {
        var t = ImageTransform()
        t.reverseChannels = true
        t.mean = [103.939, 116.779, 123.68]  // B, G, R
        return t
    }

    /// torchvision's ImageNet normalization on [0, 1] input (read with scale 1/255).
    public static func torch() -> ImageTransform {
        var t = ImageTransform()
        t.mean = [0.485, 0.456, 0.406]
        t.std = [0.229, 0.224, 0.225]
        return t
    }

    /// Whether the transform changes anything.
    public var isIdentity: Bool { self == ImageTransform() }

    /// The per-sample output shape for input [C, H, W].
    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.count == 3 else {
            if isIdentity { return input }
            throw DataError("image preprocessing needs [C, H, W] samples, got \(input)")
        }
        var (c, h, w) = (input[0], input[1], input[2])
        if let target = channels {
            guard c == target || c == 1 else { throw DataError("cannot turn \(c)-channel images into \(target) channels (only 1 → \(target))") }
            c = target
        }
        if let (rh, rw) = resize { (h, w) = (rh, rw) }
        if let (ch, cw) = crop {
            guard ch <= h && cw <= w else { throw DataError("crop \(ch)×\(cw) is larger than the \(h)×\(w) image") }
            (h, w) = (ch, cw)
        }
        guard mean.count == 1 || mean.count == c, std.count == 1 || std.count == c else {
            throw DataError("preprocessing mean/std have \(mean.count)/\(std.count) values for \(c)-channel images")
        }
        return [c, h, w]
    }

    /// Transforms a batch [N, C, H, W] into a new tensor [N] + outputShape.
    public func apply(_ batch: Tensor) throws -> Tensor {
        let n = batch.shape[0], (c0, h0, w0) = (batch.shape[1], batch.shape[2], batch.shape[3])
        let out = try outputShape([c0, h0, w0])
        let (c, h, w) = (out[0], out[1], out[2])
        let (rh, rw) = resize ?? (h0, w0)
        let (oy, ox) = ((rh - h) / 2, (rw - w) / 2)
        let result = Tensor(shape: [n] + out)
        let src = batch.data, dst = result.data
        let sy = Float(h0) / Float(rh), sx = Float(w0) / Float(rw)
        for s in 0..<n {
            for ch in 0..<c {
                let inCh = c0 == 1 ? 0 : (reverseChannels ? c - 1 - ch : ch)
                let plane = src + (s * c0 + inCh) * h0 * w0
                let m = mean.count == 1 ? mean[0] : mean[ch], sd = std.count == 1 ? std[0] : std[ch]
                let o = dst + (s * c + ch) * h * w
                for y in 0..<h {
                    // Source coordinate of the resized pixel (y + oy), PyTorch's half-pixel rule.
                    let fy = max(0, (Float(y + oy) + 0.5) * sy - 0.5)
                    let y0 = min(Int(fy), h0 - 1), y1 = min(y0 + 1, h0 - 1), ay = fy - Float(y0)
                    for x in 0..<w {
                        let fx = max(0, (Float(x + ox) + 0.5) * sx - 0.5)
                        let x0 = min(Int(fx), w0 - 1), x1 = min(x0 + 1, w0 - 1), ax = fx - Float(x0)
                        let top = plane[y0 * w0 + x0] * (1 - ax) + plane[y0 * w0 + x1] * ax
                        let bottom = plane[y1 * w0 + x0] * (1 - ax) + plane[y1 * w0 + x1] * ax
                        o[y * w + x] = (top * (1 - ay) + bottom * ay - m) / sd
                    }
                }
            }
        }
        return result
    }
}
