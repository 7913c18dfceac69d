import CKernels

/// 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, 2015):
/// each 2×2 block of outputs (a "tile") comes from a 4×4 block of inputs with 16
/// multiplications per channel pair instead of 36, so the GEMMs that dominate a VGG or a
/// ResNet do 2.25× fewer flops than im2col's. The transforms use only additions (and halves).
///
/// For one tile, with d the 4×4 input block and g a 3×3 kernel:
///   V = Bᵀ d B,  U = G g Gᵀ,  Y = Aᵀ [Σ_c U ⊙ V] A  (2×2),
///   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
///   Aᵀ = [1 1 1 0; 0 1 −1 −1].
/// The sum over channels is, for each of the 16 positions ξ = 4i + j of the 4×4 block, one
/// GEMM over the T tiles of a chunk of samples: M[ξ][K × T] = U[ξ][K × C] · V[ξ][C × T].
///
/// The data gradient of such a convolution is one too: dx is dy convolved (stride 1, padding
/// 2 − p) with the kernels turned 180° and their channels swapped. Turning g by 180° swaps
/// rows 0 and 3 of G·g (G·J = P·G, J the 3×3 exchange, P the swap of 0 and 3), so its U is
/// the forward U with positions (i, j) read as (P i, P j), and each matrix read transposed:
/// the forward's transformed kernels serve the backward pass as they are (`flipped`).
public enum Winograd {
    /// Whether a convolution's geometry suits F(2×2, 3×3): a 3×3 kernel, stride 1 and at most
    /// 2 of padding (so that its data gradient is a convolution of the same kind).
    public static func applies(_ g: ConvGeometry) -> Bool {
        g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.strideW == 1 && g.padH <= 2 && g.padW <= 2
    }

    /// 2×2 output tiles covering an output of `outH` × `outW`.
    public static func tiles(outH: Int, outW: Int) -> Int { ((outH + 1) / 2) * ((outW + 1) / 2) }

    /// Floats of the transformed kernels of a K × C convolution.
    public static func kernelCount(outChannels k: Int, inChannels c: Int) -> Int { 16 * k * c }

    /// y_s = conv(x_s, kernels) (+ bias) for `samples` consecutive samples, x_s [C, H, W] at
    /// x + s·inStride, y_s [K, outH, outW] at y + s·outStride, overwritten. `u` comes from
    /// `transformKernels`; with `flipped`, from that of the convolution this one is the data
    /// gradient of (K × C there is C × K here). Uses buffers 0, 1 and 5 of the current workspace.
    public static func convolve(_ x: UnsafePointer<Float>, _ g: ConvGeometry, kernels u: UnsafePointer<Float>,
                                flipped: Bool = false, outChannels k: Int, bias: UnsafePointer<Float>?,
                                into y: UnsafeMutablePointer<Float>, samples: Int, inStride: Int, outStride: Int) {
        let c = g.channels, t = samples * tiles(outH: g.outH, outW: g.outW)
        let ws = Workspace.current
        let v = ws.buffer(0, count: 16 * c * t), m = ws.buffer(1, count: 16 * k * t)
        transformInput(x, g, samples: samples, inStride: inStride, into: v)
        for xi in 0..<16 {
            let a = u + (flipped ? flippedPosition(xi) : xi) * k * c
            BLAS.sgemm(transA: flipped, m: k, n: t, k: c, a: a, lda: flipped ? k : c,
                       b: v + xi * c * t, ldb: t, c: m + xi * k * t, ldc: t)
        }
        transformOutput(m, g, outChannels: k, bias: bias, samples: samples, outStride: outStride, into: y)
    }

    /// The position (P i, P j) of the forward's U that holds position ξ = (i, j) of the
    /// turned kernel's U, P swapping 0 and 3.
    static func flippedPosition(_ xi: Int) -> Int {
        func p(_ i: Int) -> Int { i == 0 ? 3 : i == 3 ? 0 : i }
        return 4 * p(xi / 4) + p(xi % 4)
    }

    /// U[ξ, o, c] = (G w[o, c] Gᵀ)[ξ] for the OIHW kernels `w` [K, C, 3, 3]: 16 matrices K × C.
    public static func transformKernels(_ w: UnsafePointer<Float>, outChannels k: Int, inChannels c: Int,
                                        into u: UnsafeMutablePointer<Float>) {
        Parallel.forEachPart(k, itemWork: 25 * c) { rows in
            lockstep_winograd_kernels(w, Int32(k), Int32(c), Int32(rows.lowerBound), Int32(rows.upperBound), u)
        }
    }

    /// dU[ξ] (+)= Ĝ[ξ] · V[ξ]ᵀ over a chunk of samples, Ĝ[ξ, o, tile] = (A dY Aᵀ)[ξ] of dy's
    /// tiles: the weight gradient in the transformed domain (`kernelGradient` turns it back).
    /// `du` holds 16 matrices K × C, overwritten unless `accumulate`. Uses buffers 0, 1 and 5 of
    /// the current workspace.
    public static func accumulateKernelGradient(_ x: UnsafePointer<Float>, _ g: ConvGeometry, outputGradient dy: UnsafePointer<Float>,
                                                outChannels k: Int, samples: Int, inStride: Int, outStride: Int,
                                                accumulate: Bool, into du: UnsafeMutablePointer<Float>) {
        let c = g.channels, t = samples * tiles(outH: g.outH, outW: g.outW)
        let ws = Workspace.current
        let v = ws.buffer(0, count: 16 * c * t), gy = ws.buffer(1, count: 16 * k * t)
        transformInput(x, g, samples: samples, inStride: inStride, into: v)
        let scratch = lockstep_winograd_output_scratch(Int32(g.outH), Int32(g.outW), Int32(samples))
        Parallel.forEachPart(k, itemWork: 16 * t) { part in
            lockstep_winograd_output_gradient(dy, Int32(k), Int32(g.outH), Int32(g.outW), Int32(samples), outStride,
                                              Int32(part.lowerBound), Int32(part.upperBound), gy, Workspace.current.buffer(5, count: scratch))
        }
        for xi in 0..<16 {
            BLAS.sgemm(transB: true, m: k, n: c, k: t, a: gy + xi * k * t, lda: t, b: v + xi * c * t, ldb: t,
                       beta: accumulate ? 1 : 0, c: du + xi * k * c, ldc: c)
        }
    }

    /// dW[o, c] = Gᵀ dU[o, c] G, overwritten: the weight gradient from `accumulateKernelGradient`'s.
    public static func kernelGradient(_ du: UnsafePointer<Float>, outChannels k: Int, inChannels c: Int,
                                      into dw: UnsafeMutablePointer<Float>) {
        Parallel.forEachPart(k, itemWork: 25 * c) { rows in
            lockstep_winograd_kernel_gradient(du, Int32(k), Int32(c), Int32(rows.lowerBound), Int32(rows.upperBound), dw)
        }
    }

    /// V[ξ, c, s·tiles + tile] = (Bᵀ d B)[ξ] for every 4×4 input block d (0 outside the image),
    /// tiles row by row; channels split over threads. Per channel, in two passes over long
    /// vectors: each sample's image is copied into a zero-bordered plane, and for each row of
    /// tiles its four rows are combined (Bᵀ d) over the row's width, as they are and shifted by
    /// two columns; then tile n takes entries 2n and 2n + 1 of both (its block's columns 0, 1
    /// and 2, 3), for all the chunk's tiles in one strided pass.
    static func transformInput(_ x: UnsafePointer<Float>, _ g: ConvGeometry, samples: Int, inStride: Int,
                               into v: UnsafeMutablePointer<Float>) {
        let t = samples * tiles(outH: g.outH, outW: g.outW)
        let scratch = lockstep_winograd_input_scratch(Int32(g.outH), Int32(g.outW), Int32(samples))
        Parallel.forEachPart(g.channels, itemWork: 16 * t) { part in
            lockstep_winograd_input(x, Int32(g.channels), Int32(g.height), Int32(g.width), Int32(g.padH), Int32(g.padW),
                                    Int32(g.outH), Int32(g.outW), Int32(samples), inStride,
                                    Int32(part.lowerBound), Int32(part.upperBound), v, Workspace.current.buffer(5, count: scratch))
        }
    }

    /// y[s, o, 2ty + i, 2tx + j] = (Aᵀ M A)[i, j] (+ bias[o]) from the GEMMs' products
    /// M[ξ, o, s·tiles + tile], dropping the half tiles past an odd output edge; output
    /// channels split over threads. Per output channel, all the chunk's tiles at once into two
    /// rows of interleaved pairs (each tile's top and bottom outputs), which are the output
    /// rows 2ty and 2ty + 1 of every sample.
    static func transformOutput(_ m: UnsafePointer<Float>, _ g: ConvGeometry, outChannels k: Int, bias: UnsafePointer<Float>?,
                                samples: Int, outStride: Int, into y: UnsafeMutablePointer<Float>) {
        let t = samples * tiles(outH: g.outH, outW: g.outW)
        let scratch = lockstep_winograd_output_scratch(Int32(g.outH), Int32(g.outW), Int32(samples))
        Parallel.forEachPart(k, itemWork: 16 * t) { part in
            lockstep_winograd_output(m, Int32(k), Int32(g.outH), Int32(g.outW), Int32(samples), outStride, bias,
                                     Int32(part.lowerBound), Int32(part.upperBound), y, Workspace.current.buffer(5, count: scratch))
        }
    }
}
