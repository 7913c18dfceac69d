import LockstepTensor

/// The passes of a 3×3 stride-1 convolution by Winograd's F(2×2, 3×3) (see `Winograd`):
/// output, data gradient and weight gradient each over chunks of samples side by side. The
/// kernels are transformed once per forward pass and kept for the data gradient.
extension Conv2D {
    /// Samples per Winograd chunk, as `chunkSize` for im2col: enough for `winogradTiles` tiles
    /// a GEMM, and the transformed inputs and products within the workspace budget.
    func winogradChunkSize(_ n: Int, inChannels c: Int, outChannels k: Int, _ g: ConvGeometry) -> Int {
        let tiles = Winograd.tiles(outH: g.outH, outW: g.outW)
        let fit = Workspace.budget / max(16 * max(c, k) * tiles, 1)
        return max(1, min(n, fit, (Self.winogradTiles + tiles - 1) / tiles))
    }

    /// The tiles (columns) a Winograd GEMM should span at least. 128, 256, 512 and 1,024 ran
    /// ResNet-18 (W3) equally fast within noise.
    static let winogradTiles = 256

    func forwardWinograd(_ input: Tensor) {
        let g = geometry!, n = input.shape[0], o = outChannels
        transformedKernels.resize([Winograd.kernelCount(outChannels: o, inChannels: g.channels)])
        Winograd.transformKernels(weight.value.data, outChannels: o, inChannels: g.channels, into: transformedKernels.data)
        let kernels = UnsafePointer(transformedKernels.data)
        let chunk = winogradChunkSize(n, inChannels: g.channels, outChannels: o, g)
        let inSize = g.channels * g.height * g.width, outSize = o * g.outH * g.outW
        let x = input.data, y = output.data, b = bias.map { UnsafePointer($0.value.data) }
        forEachChunk(samples: n, size: chunk) { samples in
            Winograd.convolve(x + samples.lowerBound * inSize, g, kernels: kernels, outChannels: o, bias: b,
                              into: y + samples.lowerBound * outSize, samples: samples.count, inStride: inSize, outStride: outSize)
        }
    }

    func backwardWinograd(_ outputGradient: Tensor, _ need: Needs, _ ready: GradientsReadyHandler?) {
        guard outputGradient.shape[0] > 0 else { return }
        if need.bias { biasGradient(outputGradient) }
        if need.weight { weightGradientWinograd(outputGradient, ready) }
        if need.input { inputGradientWinograd(outputGradient, ready) }
    }

    /// db[o] = Σ over samples (in order) of Σ dy[s, o, ·].
    private func biasGradient(_ outputGradient: Tensor) {
        let n = outputGradient.shape[0], o = outChannels, hw = geometry.outH * geometry.outW
        let dy = outputGradient.data, db = bias!.gradient.data
        Parallel.forEachPart(o, itemWork: n * hw) { part in
            for oc in part {
                var sum: Float = 0
                for s in 0..<n { sum += VectorOps.sumFloat(dy + (s * o + oc) * hw, count: hw) }
                db[oc] = sum
            }
        }
    }

    /// dW = Gᵀ dU G with dU[ξ] = Σ over tiles of (A dY Aᵀ)[ξ] · V[ξ]ᵀ: chunks summed per run
    /// (fixed by the layer and the batch, as for im2col), the runs' dU added in run order.
    private func weightGradientWinograd(_ outputGradient: Tensor, _ ready: GradientsReadyHandler?) {
        let g = geometry!, n = outputGradient.shape[0], o = outChannels, c = g.channels
        let chunk = winogradChunkSize(n, inChannels: c, outChannels: o, g), chunks = (n + chunk - 1) / chunk
        let uCount = Winograd.kernelCount(outChannels: o, inChannels: c)
        let runs = gradientRuns(chunks: chunks, partialCount: uCount)
        let partials = Workspace.current.buffer(2, count: runs * uCount)
        let inSize = c * g.height * g.width, outSize = o * g.outH * g.outW
        let x = input!.data, dy = outputGradient.data
        forEachChunk(chunks, inRuns: runs, ready) { r, i, first in
            let s0 = i * chunk
            Winograd.accumulateKernelGradient(x + s0 * inSize, g, outputGradient: dy + s0 * outSize, outChannels: o,
                                              samples: min(chunk, n - s0), inStride: inSize, outStride: outSize,
                                              accumulate: !first, into: partials + r * uCount)
        }
        for r in 1..<runs { VectorOps.add(partials + r * uCount, to: partials, count: uCount) }
        Winograd.kernelGradient(partials, outChannels: o, inChannels: c, into: weight.gradient.data)
    }

    /// dx: dy convolved with the kernels turned 180° and their channels swapped (stride 1,
    /// padding 2 − p), which gives back the input's size; their U is forward's, read flipped.
    private func inputGradientWinograd(_ outputGradient: Tensor, _ ready: GradientsReadyHandler?) {
        let g = geometry!, n = outputGradient.shape[0], o = outChannels, c = g.channels
        let back = ConvGeometry(channels: o, height: g.outH, width: g.outW, kernel: (3, 3), stride: (1, 1),
                                padding: (2 - g.padH, 2 - g.padW))
        let kernels = UnsafePointer(transformedKernels.data)
        let chunk = winogradChunkSize(n, inChannels: o, outChannels: c, back)
        let dySize = o * g.outH * g.outW, dxSize = c * g.height * g.width
        let dy = outputGradient.data, dx = inputGradient.data
        forEachChunk(samples: n, size: chunk, ready) { samples in
            Winograd.convolve(dy + samples.lowerBound * dySize, back, kernels: kernels, flipped: true, outChannels: c, bias: nil,
                              into: dx + samples.lowerBound * dxSize, samples: samples.count, inStride: dySize, outStride: dxSize)
        }
    }
}
