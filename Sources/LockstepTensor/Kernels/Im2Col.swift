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

/// Patch extraction for convolution as a matrix product (Caffe's im2col layout), for one
/// image or several side by side.
///
/// cols[(c·kH + i)·kW + j, s·outH·outW + oh·outW + ow] = x_s[c, oh·sH − pH + i, ow·sW − pW + j]
/// (0 outside the image), for samples s in 0..<samples, where sample s's CHW image starts at
/// x + s·sampleStride. `cols` is [patchSize, samples·outH·outW]. The loops run row by row,
/// samples inside, so `cols` is written sequentially and a channel's planes stay in cache.
public enum Im2Col {
    public static func forward(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                               samples: Int = 1, sampleStride: Int = 0) {
        let oh = g.outH, ow = g.outW, h = g.height, w = g.width, ohw = oh * ow
        let ld = samples * ohw, kk = g.kernelH * g.kernelW
        // Rows are independent: threads take disjoint row ranges.
        let sameWidth = g.strideH == 1 && g.strideW == 1 && ow == w
        Parallel.forEachPart(g.patchSize, itemWork: ld) { rows in
            for row in rows {
                let c = row / kk, i = (row % kk) / g.kernelW, j = row % g.kernelW
                if sameWidth {
                    for s in 0..<samples { shiftedPlane(x + s * sampleStride + c * h * w, into: cols + row * ld + s * ohw, g, i: i, j: j) }
                    continue
                }
                // Output columns whose input column ix = x0·sW − pW + j lies inside the image.
                let x0First = min(ow, max(0, (g.padW - j + g.strideW - 1) / g.strideW))
                let x0End = max(x0First, min(ow, (w + g.padW - j + g.strideW - 1) / g.strideW))
                for s in 0..<samples {
                    let xc = x + s * sampleStride + c * h * w
                    let dst = cols + row * ld + s * ohw
                    for y in 0..<oh {
                        let iy = y * g.strideH - g.padH + i
                        let d = dst + y * ow
                        guard iy >= 0 && iy < h else {
                            for q in 0..<ow { d[q] = 0 }
                            continue
                        }
                        for q in 0..<x0First { d[q] = 0 }
                        let src = xc + iy * w - g.padW + j
                        if g.strideW == 1 {
                            VectorOps.copy(src + x0First, into: d + x0First, count: x0End - x0First)
                        } else {
                            for x0 in x0First..<x0End { d[x0] = src[x0 * g.strideW] }
                        }
                        for q in x0End..<ow { d[q] = 0 }
                    }
                }
            }
        }
    }

    /// One row of the columns for one sample when the stride is 1 and the output is as wide as
    /// the input (a "same" convolution: 3×3 with padding 1, 5×5 with 2): the row is the image
    /// plane shifted by (i − pH, j − pW), so its valid part is one contiguous copy, after which
    /// the |j − pW| entries per output row that the copy took from the neighbouring image row
    /// are set to 0, as are the rows above and below the image.
    @inline(__always)
    static func shiftedPlane(_ plane: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, _ g: ConvGeometry, i: Int, j: Int) {
        let oh = g.outH, w = g.width, shift = j - g.padW
        let xFirst = max(0, -shift), xEnd = min(w, w - shift)
        let yFirst = min(oh, max(0, g.padH - i)), yEnd = max(yFirst, min(oh, g.height + g.padH - i))
        guard yFirst < yEnd && xFirst < xEnd else { d.update(repeating: 0, count: oh * w); return }
        let first = yFirst * w + xFirst, end = (yEnd - 1) * w + xEnd
        d.update(repeating: 0, count: first)
        VectorOps.copy(plane + first + (i - g.padH) * w + shift, into: d + first, count: end - first)
        (d + end).update(repeating: 0, count: oh * w - end)
        if shift != 0 {
            for y in yFirst..<yEnd {
                let r = d + y * w
                for q in 0..<xFirst { r[q] = 0 }
                for q in xEnd..<w { r[q] = 0 }
            }
        }
    }

    /// The adjoint of `forward`: dx_s = col2im(cols), overwriting the `samples` images
    /// (overlapping windows accumulate).
    public static func backward(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                                samples: Int = 1, sampleStride: Int = 0) {
        let oh = g.outH, ow = g.outW, h = g.height, w = g.width, ohw = oh * ow
        let ld = samples * ohw
        // Samples are independent (each writes its own image): threads take disjoint samples.
        Parallel.forEachPart(samples, itemWork: g.patchSize * ohw) { part in
            for s in part { (dx + s * sampleStride).update(repeating: 0, count: g.channels * h * w) }
            var row = 0
            for c in 0..<g.channels {
                for i in 0..<g.kernelH {
                    for j in 0..<g.kernelW {
                        let x0First = min(ow, max(0, (g.padW - j + g.strideW - 1) / g.strideW))
                        let x0End = max(x0First, min(ow, (w + g.padW - j + g.strideW - 1) / g.strideW))
                        for s in part {
                            let dc = dx + s * sampleStride + c * h * w
                            let src = cols + row * ld + s * ohw
                            for y in 0..<oh {
                                let iy = y * g.strideH - g.padH + i
                                if iy < 0 || iy >= h || x0End == x0First { continue }
                                let d = dc + iy * w - g.padW + j, sy = src + y * ow
                                if g.strideW == 1 {
                                    for x0 in x0First..<x0End { d[x0] += sy[x0] }
                                } else {
                                    for x0 in x0First..<x0End { d[x0 * g.strideW] += sy[x0] }
                                }
                            }
                        }
                        row += 1
                    }
                }
            }
        }
    }
}
