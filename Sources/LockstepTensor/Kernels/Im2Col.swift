/// Geometry of a 2-D convolution or pooling window over one CHW image.
public struct ConvGeometry: Sendable, Equatable {
    public var channels: Int, height: Int, width: Int
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int

    public init(channels: Int, height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int)) {
        self.channels = channels
        self.height = height
        self.width = width
        (kernelH, kernelW) = kernel
        (strideH, strideW) = stride
        (padH, padW) = padding
    }

    /// Output height: ⌊(H + 2p − k) / s⌋ + 1.
    public var outH: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    /// Output width.
    public var outW: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the column matrix: C·kH·kW.
    public var patchSize: Int { channels * kernelH * kernelW }
    /// Whether the kernel fits in the padded input.
    public var fits: Bool { height + 2 * padH >= kernelH && width + 2 * padW >= kernelW }
}

/// Patch extraction for convolution as a matrix product (Caffe's im2col layout).
public enum Im2Col {
    /// cols[(c·kH + i)·kW + j, oh·outW + ow] = x[c, oh·s − p + i, ow·s − p + j] (0 outside).
    /// `x` is one CHW image; `cols` is [patchSize, outH·outW].
    public static func forward(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let oh = g.outH, ow = g.outW, h = g.height, w = g.width
        var row = 0
        for c in 0..<g.channels {
            let xc = x + c * h * w
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let dst = cols + row * oh * ow
                    for y in 0..<oh {
                        let iy = y * g.strideH - g.padH + i
                        let d = dst + y * ow
                        if iy < 0 || iy >= h {
                            d.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = xc + iy * w
                        if g.strideW == 1 {
                            // Contiguous run: copy the in-bounds part, zero the rest.
                            let ox0 = max(0, g.padW - j), ox1 = min(ow, w + g.padW - j)
                            if ox0 > 0 { d.update(repeating: 0, count: min(ox0, ow)) }
                            if ox1 > ox0 { (d + ox0).update(from: src + (ox0 - g.padW + j), count: ox1 - ox0) }
                            if ox1 < ow { (d + max(ox1, 0)).update(repeating: 0, count: ow - max(ox1, 0)) }
                        } else {
                            for x0 in 0..<ow {
                                let ix = x0 * g.strideW - g.padW + j
                                d[x0] = ix >= 0 && ix < w ? src[ix] : 0
                            }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `forward`: dx[c, iy, ix] += Σ over the patches that read it.
    /// `dx` (one CHW image) is overwritten.
    public static func backward(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let oh = g.outH, ow = g.outW, h = g.height, w = g.width
        dx.update(repeating: 0, count: g.channels * h * w)
        var row = 0
        for c in 0..<g.channels {
            let dc = dx + c * h * w
            for i in 0..<g.kernelH {
                for j in 0..<g.kernelW {
                    let src = cols + row * oh * ow
                    for y in 0..<oh {
                        let iy = y * g.strideH - g.padH + i
                        if iy < 0 || iy >= h { continue }
                        let d = dc + iy * w, s = src + y * ow
                        for x0 in 0..<ow {
                            let ix = x0 * g.strideW - g.padW + j
                            if ix >= 0 && ix < w { d[ix] += s[x0] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
