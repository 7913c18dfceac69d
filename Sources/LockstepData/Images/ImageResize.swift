/// How an image of another aspect ratio is brought to the target size.
public enum ImageFit: String, Sendable, CaseIterable {
    /// Scale so the image covers the target (its shorter side fits), then cut the centre out:
    /// torchvision's `Resize(size)` + `CenterCrop`, Keras's `crop_to_aspect_ratio`.
    case crop
    /// Scale so the whole image fits inside the target, then pad the rest with black, centred.
    case pad
}

extension Image {
    /// The image at `height` × `width`, keeping its aspect ratio by `fit`.
    public func fitted(height: Int, width: Int, fit: ImageFit) -> Image {
        if self.height == height && self.width == width { return self }
        let sy = Double(height) / Double(self.height), sx = Double(width) / Double(self.width)
        let s = fit == .crop ? max(sy, sx) : min(sy, sx)
        let rh = max(1, Int((Double(self.height) * s).rounded())), rw = max(1, Int((Double(self.width) * s).rounded()))
        let scaled = resized(height: fit == .crop ? max(rh, height) : min(rh, height), width: fit == .crop ? max(rw, width) : min(rw, width))
        return scaled.placed(height: height, width: width)
    }

    /// The centre `height` × `width` of the image, or the image centred on black when it is smaller.
    func placed(height: Int, width: Int) -> Image {
        var out = [UInt8](repeating: 0, count: height * width * channels)
        let dy = (self.height - height) / 2, dx = (self.width - width) / 2
        for y in 0..<height {
            let sy = y + dy
            guard sy >= 0 && sy < self.height else { continue }
            for x in 0..<width {
                let sx = x + dx
                guard sx >= 0 && sx < self.width else { continue }
                for c in 0..<channels { out[(y * width + x) * channels + c] = pixels[(sy * self.width + sx) * channels + c] }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    /// The image resampled to `height` × `width` with a triangle (bilinear) filter widened by
    /// the reduction factor, as PIL's `resize(…, BILINEAR)` does, so shrinking a photo averages
    /// its pixels instead of skipping most of them (aliasing).
    public func resized(height: Int, width: Int) -> Image {
        let rows = ResampleWeights(from: self.height, to: height), cols = ResampleWeights(from: self.width, to: width)
        // Horizontal pass into floats, then vertical into bytes.
        var wide = [Float](repeating: 0, count: self.height * width * channels)
        for y in 0..<self.height {
            for x in 0..<width {
                let (first, weights) = cols.taps[x]
                for c in 0..<channels {
                    var sum: Float = 0
                    for (k, w) in weights.enumerated() { sum += w * Float(pixels[(y * self.width + first + k) * channels + c]) }
                    wide[(y * width + x) * channels + c] = sum
                }
            }
        }
        var out = [UInt8](repeating: 0, count: height * width * channels)
        for y in 0..<height {
            let (first, weights) = rows.taps[y]
            for i in 0..<(width * channels) {
                var sum: Float = 0
                for (k, w) in weights.enumerated() { sum += w * wide[(first + k) * width * channels + i] }
                out[y * width * channels + i] = UInt8(max(0, min(255, sum.rounded())))
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: out)
    }
}

/// For each output position along one axis: the first input position and the normalized
/// weights of the input positions from there on.
struct ResampleWeights {
    let taps: [(first: Int, weights: [Float])]

    init(from input: Int, to output: Int) {
        let scale = Double(input) / Double(output)
        let widen = max(scale, 1), support = widen
        taps = (0..<output).map { o in
            let center = (Double(o) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0), hi = min(Int(center + support + 0.5), input)
            let weights = (lo..<hi).map { i in Float(max(0, 1 - abs((Double(i) - center + 0.5) / widen))) }
            let total = weights.reduce(0, +)
            guard total > 0 else { return (min(lo, input - 1), [1]) }
            return (lo, weights.map { $0 / total })
        }
    }
}
