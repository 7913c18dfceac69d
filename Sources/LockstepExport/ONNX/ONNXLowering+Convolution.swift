import LockstepNN

/// Image layers: convolutions, pooling, BatchNorm, upsampling.
extension ONNXLowering {
    /// Output size of a window sliding over `size` (floor, as PyTorch and ONNX's default).
    private func slid(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (size + 2 * padding - kernel) / stride + 1
    }

    func conv(_ c: Conv2D, _ x: ONNXValue, path: String) -> ONNXValue {
        let inputs = [x.name, weight(c.weight)] + (c.bias.map { [weight($0)] } ?? [])
        let y = graph.apply("Conv", inputs, name: path, [
            .ints("kernel_shape", [c.kernel.0, c.kernel.1]), .ints("strides", [c.stride.0, c.stride.1]),
            .ints("pads", [c.padding.0, c.padding.1, c.padding.0, c.padding.1]),
        ])
        return ONNXValue(name: y, shape: [c.outChannels, slid(x.shape[1], kernel: c.kernel.0, stride: c.stride.0, padding: c.padding.0),
                                          slid(x.shape[2], kernel: c.kernel.1, stride: c.stride.1, padding: c.padding.1)])
    }

    /// PyTorch's and ONNX's ConvTranspose share the [C, O, k, k] kernel layout.
    func convTranspose(_ c: ConvTranspose2D, _ x: ONNXValue, path: String) -> ONNXValue {
        let inputs = [x.name, weight(c.weight)] + (c.bias.map { [weight($0)] } ?? [])
        let y = graph.apply("ConvTranspose", inputs, name: path, [
            .ints("kernel_shape", [c.kernel, c.kernel]), .ints("strides", [c.stride, c.stride]),
            .ints("pads", [c.padding, c.padding, c.padding, c.padding]), .ints("output_padding", [c.outputPadding, c.outputPadding]),
        ])
        let grown = { (n: Int) in (n - 1) * c.stride - 2 * c.padding + c.kernel + c.outputPadding }
        return ONNXValue(name: y, shape: [c.outChannels, grown(x.shape[1]), grown(x.shape[2])])
    }

    /// Inference form: the running statistics normalize.
    func batchNorm(_ b: BatchNorm, _ x: ONNXValue, path: String) throws -> ONNXValue {
        guard x.shape.count == 1 || x.shape.count == 3 else {
            throw ExportError.unsupported(b.kind, at: path, in: "ONNX", "normalizes features of shape \(x.shape); ONNX's BatchNormalization takes [N, C] or [N, C, H, W]")
        }
        let inputs = [x.name, weight(b.weight), weight(b.bias), weight(b.runningMean), weight(b.runningVar)]
        return ONNXValue(name: graph.apply("BatchNormalization", inputs, name: path, [.float("epsilon", b.epsilon)]), shape: x.shape)
    }

    /// Lockstep's average pool divides every window by k² (count_include_pad).
    func pool(_ op: String, kernel: Int, stride: Int, padding: Int, _ x: ONNXValue, path: String) -> ONNXValue {
        var attributes: [Onnx_AttributeProto] = [.ints("kernel_shape", [kernel, kernel]), .ints("strides", [stride, stride]),
                                                 .ints("pads", [padding, padding, padding, padding])]
        if op == "AveragePool" { attributes.append(.int("count_include_pad", 1)) }
        let size = { (n: Int) in self.slid(n, kernel: kernel, stride: stride, padding: padding) }
        return ONNXValue(name: graph.apply(op, [x.name], name: path, attributes), shape: [x.shape[0], size(x.shape[1]), size(x.shape[2])])
    }

    /// Global average pooling; an even split as an average pool; any other as two averaging
    /// matrices (the bins are separable: rows, then columns), PyTorch's bins exactly.
    func adaptivePool(_ p: AdaptiveAvgPool2D, _ x: ONNXValue, path: String) -> ONNXValue {
        let (c, h, w) = (x.shape[0], x.shape[1], x.shape[2])
        let shape = [c, p.outH, p.outW]
        if p.outH == 1 && p.outW == 1 { return ONNXValue(name: graph.apply("GlobalAveragePool", [x.name], name: path), shape: shape) }
        if h == p.outH && w == p.outW { return x }
        if h % p.outH == 0 && w % p.outW == 0 && h / p.outH == w / p.outW {
            return pool("AveragePool", kernel: h / p.outH, stride: h / p.outH, padding: 0, x, path: path)
        }
        /// [out, in]: row i averages in-range [⌊i·in/out⌋, ⌈(i+1)·in/out⌉).
        func averaging(_ inSize: Int, _ outSize: Int) -> [Float] {
            var m = [Float](repeating: 0, count: outSize * inSize)
            for i in 0..<outSize {
                let bin = (i * inSize / outSize)..<(((i + 1) * inSize + outSize - 1) / outSize)
                for j in bin { m[i * inSize + j] = 1 / Float(bin.count) }
            }
            return m
        }
        let rows = graph.constant(path + ".rows", shape: [p.outH, h], averaging(h, p.outH))
        var columns = [Float](repeating: 0, count: w * p.outW)  // [in, out]: the transpose of the averaging matrix
        let a = averaging(w, p.outW)
        for i in 0..<p.outW { for j in 0..<w { columns[j * p.outW + i] = a[i * w + j] } }
        let cols = graph.constant(path + ".columns", shape: [w, p.outW], columns)
        let across = graph.apply("MatMul", [x.name, cols], name: path + "/columns")
        return ONNXValue(name: graph.apply("MatMul", [rows, across], name: path), shape: shape)
    }

    /// Nearest neighbour: pixel (i, j) of the output copies (⌊i/s⌋, ⌊j/s⌋).
    func upsample(_ u: Upsample, _ x: ONNXValue, path: String) -> ONNXValue {
        let scales = graph.constant(path + ".scales", shape: [4], [1, 1, Float(u.scale), Float(u.scale)])
        let y = graph.apply("Resize", [x.name, "", scales], name: path, [
            .string("mode", "nearest"), .string("coordinate_transformation_mode", "asymmetric"), .string("nearest_mode", "floor"),
        ])
        return ONNXValue(name: y, shape: [x.shape[0], x.shape[1] * u.scale, x.shape[2] * u.scale])
    }
}
