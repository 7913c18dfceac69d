import LockstepData
import LockstepNN
import LockstepOperations
import LockstepTensor

/// What an autoencoder makes of a few samples, as a picture a person can look at: the first
/// `count` samples of a set in the top row, the model's reconstructions below, each pixel
/// scaled up `zoom` times, in the model's target space (values clamped to 0…1 become 0…255,
/// so with the default normalization the inputs look as stored). Written by rank 0 as
/// RUN/reconstructions.png after every epoch.
package enum ReconstructionPicture {
    package static func write(_ model: Model, samplesOf data: ShardSet, normalization: Normalization, transform: ImageTransform,
                      to path: String, count: Int = 8, zoom: Int = 3) throws {
        let n = min(count, data.count)
        guard n > 0 else { return }
        let raw = Tensor(shape: [n] + data.sampleShape)
        _ = try data.read(Array(0..<n), into: raw.data, normalization: normalization)
        let inputs = transform.isIdentity ? raw : try transform.apply(raw)
        let outputs = model.forward(inputs, ForwardContext(training: false))
        guard inputs.shape.count == 4, outputs.shape == inputs.shape, [1, 3].contains(inputs.shape[1]) else { return }
        let (c, h, w) = (inputs.shape[1], inputs.shape[2], inputs.shape[3]), gap = 2
        let width = n * (w * zoom + gap) + gap, height = 2 * (h * zoom + gap) + gap
        var pixels = [UInt8](repeating: 255, count: width * height * c)
        for (row, tensor) in [inputs, outputs].enumerated() {
            for s in 0..<n {
                let left = gap + s * (w * zoom + gap), top = gap + row * (h * zoom + gap)
                for y in 0..<(h * zoom) {
                    for x in 0..<(w * zoom) {
                        for ch in 0..<c {
                            let v = tensor[((s * c + ch) * h + y / zoom) * w + x / zoom]
                            pixels[((top + y) * width + left + x) * c + ch] = UInt8((min(max(v, 0), 1) * 255).rounded())
                        }
                    }
                }
            }
        }
        try Image(width: width, height: height, channels: c, pixels: pixels).write(to: path)
    }
}
