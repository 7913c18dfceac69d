import Lockstep

/// The two networks, their initialization, the noise, and a picture of what the generator makes.
enum DCGAN {
    /// Noise dimensions.
    static let codeSize = 64
    /// z [64] → 7×7×2w → 14×14×w → 28×28×1 in [-1, 1] (w: `width`). No bias before a
    /// BatchNorm: it would be removed with the mean, its gradient only rounding noise, which
    /// Adam turns into steps of the learning rate's size.
    static func generator(width: Int, seed: UInt64) throws -> Model {
        let model = try Model(inputShape: [codeSize], root: Sequential {
            Dense(outputSize: 2 * width * 7 * 7, bias: false)
            Reshape([2 * width, 7, 7])
            BatchNorm()
            ReLU()
            ConvTranspose2D(outChannels: width, kernel: 4, stride: 2, padding: 1, bias: false)
            BatchNorm()
            ReLU()
            ConvTranspose2D(outChannels: 1, kernel: 4, stride: 2, padding: 1)
            Activation(TanhFunction())
        })
        initialize(model, seed: seed)
        return model
    }

    /// 28×28×1 → 14×14×w → 7×7×2w → one logit (real or not).
    static func discriminator(width: Int, seed: UInt64) throws -> Model {
        let model = try Model(inputShape: [1, 28, 28], root: Sequential {
            Conv2D(outChannels: width, kernel: 4, stride: 2, padding: 1)
            Activation(LeakyReLUFunction(slope: 0.2))
            Conv2D(outChannels: 2 * width, kernel: 4, stride: 2, padding: 1, bias: false)
            BatchNorm()
            Activation(LeakyReLUFunction(slope: 0.2))
            Flatten()
            Dense(outputSize: 1)
        })
        initialize(model, seed: seed &+ 1)
        return model
    }

    /// DCGAN's initialization: weights N(0, 0.02), normalization scales N(1, 0.02), biases 0.
    static func initialize(_ model: Model, seed: UInt64) {
        for (i, p) in model.parameters.enumerated() {
            var rng = CounterRNG(seed: seed, streams: 0xDC6A, UInt64(i))
            let scale = p.shape.count == 1 && p.name.hasSuffix("weight")
            for j in 0..<p.count {
                p.value[j] = p.shape.count > 1 ? 0.02 * rng.nextNormal() : (scale ? 1 + 0.02 * rng.nextNormal() : 0)
            }
        }
    }

    /// average ← decay·average + (1 − decay)·current, over every parameter; the BatchNorm
    /// statistics are the current ones.
    static func average(_ average: Model, toward current: Model, decay: Float) {
        let a = average.arena.values, c = current.arena.values
        for i in 0..<average.arena.count { a[i] = decay * a[i] + (1 - decay) * c[i] }
        for (mine, theirs) in zip(average.buffers, current.buffers) { mine.value.copy(from: theirs.value) }
    }

    /// Adam with β1 = 0.5 (DCGAN's), or SGD with momentum 0.5.
    static func optimizer(_ name: String, learningRate: Float) throws -> any Optimizer {
        switch name {
        case "adam": return Adam(learningRate: learningRate, beta1: 0.5)
        case "sgd": return SGD(learningRate: learningRate, momentum: 0.5)
        default: throw DataError("--optimizer \(name): expected adam or sgd")
        }
    }

    /// `base` until the last `decayFraction` of the steps, then linearly down to 0 at the end.
    static func learningRate(_ base: Float, step: Int, of steps: Int, decayFraction: Float) -> Float {
        let start = Float(steps) * (1 - decayFraction)
        guard decayFraction > 0, Float(step) >= start else { return base }
        return base * max(0, (Float(steps) - Float(step)) / (Float(steps) - start))
    }

    /// Standard normal noise, one row per sample, each drawn from (seed, step, sample index):
    /// the same rows whichever rank draws them.
    static func noise(samples: [Int], step: Int, seed: UInt64) -> Tensor {
        let z = Tensor(shape: [samples.count, codeSize])
        for (row, sample) in samples.enumerated() {
            var rng = CounterRNG(seed: seed, streams: 0x2015E, UInt64(bitPattern: Int64(step)), UInt64(sample))
            for j in 0..<codeSize { z[row * codeSize + j] = rng.nextNormal() }
        }
        return z
    }

    /// `count` images from fixed noise (step −1, a stream no training step uses), in [0, 1].
    /// With `batchStatistics`, BatchNorm normalizes with the batch's statistics; its running
    /// statistics are left as they were: drawing samples (on rank 0 alone) must not make the
    /// replicas differ.
    static func generate(_ generator: Model, count: Int, seed: UInt64, batchStatistics: Bool = true) -> Tensor {
        let running = generator.buffers.map { Array($0.value.buffer) }
        defer { for (b, saved) in zip(generator.buffers, running) { _ = b.value.buffer.update(fromContentsOf: saved) } }
        let images = generator.forward(noise(samples: Array(0..<count), step: -1, seed: seed), ForwardContext(training: batchStatistics))
        let out = Tensor(shape: images.shape)
        for i in 0..<images.count { out[i] = min(max((images[i] + 1) / 2, 0), 1) }
        return out
    }

    /// An 8×8 grid of generated images, each pixel shown 2×2.
    static func sampleGrid(_ generator: Model, seed: UInt64, side: Int = 8, zoom: Int = 2) throws -> Image {
        let images = generate(generator, count: side * side, seed: seed)
        let cell = 28 * zoom + 2, size = side * cell + 2
        var pixels = [UInt8](repeating: 255, count: size * size)
        for s in 0..<(side * side) {
            let left = 2 + (s % side) * cell, top = 2 + (s / side) * cell
            for y in 0..<(28 * zoom) {
                for x in 0..<(28 * zoom) {
                    pixels[(top + y) * size + left + x] = UInt8((images[s * 784 + (y / zoom) * 28 + x / zoom] * 255).rounded())
                }
            }
        }
        return Image(width: size, height: size, channels: 1, pixels: pixels)
    }
}
