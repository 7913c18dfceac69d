/// Keras's weight layouts against Lockstep's (PyTorch's), both ways: convolution kernels HWIO
/// [kh, kw, in, out] against OIHW [out, in, kh, kw]; dense kernels [in, out] against [out, in],
/// where the inputs after a channels-last flatten of [C, H, W] come in Keras's (h, w, c) order
/// against Lockstep's (c, h, w). `KerasImport` reads with these, `KerasExport` writes with them.
public enum KerasLayout {
    /// HWIO values → OIHW (`toKeras` false), or OIHW → HWIO; `oihw` is the kernel's OIHW shape.
    public static func convKernel(_ values: [Float], oihw: [Int], toKeras: Bool) -> [Float] {
        let (co, ci, kh, kw) = (oihw[0], oihw[1], oihw[2], oihw[3])
        var out = [Float](repeating: 0, count: values.count)
        for o in 0..<co { for i in 0..<ci { for y in 0..<kh { for x in 0..<kw {
            let ours = ((o * ci + i) * kh + y) * kw + x, theirs = ((y * kw + x) * ci + i) * co + o
            if toKeras { out[theirs] = values[ours] } else { out[ours] = values[theirs] }
        } } } }
        return out
    }

    /// Keras [in, out] values → Lockstep's [out, in] (`toKeras` false), or back, for `outputs` ×
    /// `inputs`; `flattenedFrom` [C, H, W] when the inputs are a flattened feature map.
    public static func denseKernel(_ values: [Float], outputs m: Int, inputs n: Int, flattenedFrom flat: [Int]?, toKeras: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: n * m)
        func move(_ ours: Int, _ theirs: Int) {
            for o in 0..<m { if toKeras { out[theirs * m + o] = values[o * n + ours] } else { out[o * n + ours] = values[theirs * m + o] } }
        }
        if let flat, flat.count == 3, flat.reduce(1, *) == n {
            let (c, h, w) = (flat[0], flat[1], flat[2])
            for ch in 0..<c { for y in 0..<h { for x in 0..<w { move((ch * h + y) * w + x, (y * w + x) * c + ch) } } }
        } else {
            for i in 0..<n { move(i, i) }
        }
        return out
    }
}
