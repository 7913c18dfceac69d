import LockstepTensor

/// Batch normalization (Ioffe & Szegedy 2015) with PyTorch's conventions, over the channel
/// dimension of [N, C] (BatchNorm1d) or [N, C, H, W] (BatchNorm2d) inputs:
///
///     training:   y = γ·(x − μ_B)/√(σ²_B + ε) + β, μ_B and biased σ²_B over N(·H·W);
///                 running ← (1 − m)·running + m·batch (unbiased variance), m = momentum
///     evaluation: the running statistics instead of the batch's.
///
/// Parameters `weight` (γ, ones) and `bias` (β, zeros); buffers `running_mean` (zeros) and
/// `running_var` (ones). In data-parallel training each rank normalizes with its own batch,
/// as PyTorch DDP without SyncBatchNorm; the trainer broadcasts rank 0's running statistics
/// every step (as DDP does), so every replica evaluates alike. With `synchronization` set
/// (`DataParallel(…, synchronizesBatchNorm: true)`), the statistics are the global batch's:
/// forward sums each channel's count, Σx and Σx² over the ranks (σ² = E[x²] − μ², in Double),
/// backward sums Σdy and Σdy·x̂, as PyTorch's SyncBatchNorm; γ's and β's gradients stay each
/// rank's own, averaged with the others by the gradient allreduce.
public final class BatchNorm: Layer {
    public var kind: String { spatial ? "BatchNorm2d" : "BatchNorm1d" }
    public let momentum: Float
    public let epsilon: Float
    public private(set) var weight: Parameter!
    public private(set) var bias: Parameter!
    public private(set) var runningMean: Buffer!
    public private(set) var runningVar: Buffer!
    private var spatial = false
    private var channels = 0
    private var trainedForward = false
    private var input: Tensor?
    private var mean: [Float] = []
    private var invStd: [Float] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Samples × positions per channel over every rank, in the last synchronized forward.
    private var globalCount = 0
    /// Per-channel sums exchanged with the other ranks: [count, Σx…, Σx²…] or [Σdy…, Σdy·x̂…].
    private var exchange: [Double] = []

    /// Sums the batch statistics over the ranks (nil: each rank normalizes with its own batch).
    public var synchronization: (any BatchStatisticsSync)?

    public init(momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public var parameters: [Parameter] { weight == nil ? [] : [weight, bias] }
    public var buffers: [Buffer] { runningMean == nil ? [] : [runningMean, runningVar] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 || inputShape.count == 3, inputShape[0] > 0 else {
            throw LayerError.shape(self, expected: "[C] or [C, H, W]", got: inputShape)
        }
        spatial = inputShape.count == 3
        channels = inputShape[0]
        weight = Parameter(name: "weight", shape: [channels], initializer: .ones)
        bias = Parameter(name: "bias", shape: [channels], initializer: .zeros)
        runningMean = Buffer(name: "running_mean", shape: [channels], fill: 0)
        runningVar = Buffer(name: "running_var", shape: [channels], fill: 1)
        return inputShape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let n = input.shape[0], c = channels, hw = input.count / max(n * c, 1), m = n * hw
        self.input = input
        // A frozen BatchNorm (fine-tuning a fixed backbone) normalizes with its running
        // statistics and leaves them unchanged, as Keras's trainable=False.
        trainedForward = context.training && !weight.isFrozen
        output.resize(input.shape)
        if mean.count != c { mean = [Float](repeating: 0, count: c); invStd = mean }
        let x = input.data, y = output.data
        let gamma = weight.value.data, beta = bias.value.data
        let rm = runningMean.value.data, rv = runningVar.value.data
        let trained = trainedForward, momentum = momentum, epsilon = epsilon
        if trained, let synchronization {
            synchronizedStatistics(input, synchronization)
        }
        let synchronized = trained && synchronization != nil
        // Element (s, ch, p) is at x[(s·C + ch)·hw + p]; for 1-D inputs hw = 1. Channels are
        // independent: threads take disjoint channel ranges.
        mean.withUnsafeMutableBufferPointer { meanOut in
            invStd.withUnsafeMutableBufferPointer { invOut in
                let meanOut = meanOut.baseAddress!, invOut = invOut.baseAddress!
                Parallel.forEachPart(c, itemWork: m) { channels in
                    for ch in channels {
                        var mu: Float = 0, variance: Float = 0
                        if synchronized {
                            mu = meanOut[ch]
                            variance = invOut[ch]  // the global variance, until replaced by 1/σ below
                        } else if trained {
                            // Plane sums in Float lanes, accumulated over planes in Double.
                            var sum = 0.0
                            for s in 0..<n { sum += Double(VectorOps.sumFloat(x + (s * c + ch) * hw, count: hw)) }
                            mu = Float(sum / Double(m))
                            var sq = 0.0
                            for s in 0..<n { sq += Double(VectorOps.sumSquaredDeviations(x + (s * c + ch) * hw, count: hw, from: mu)) }
                            variance = Float(sq / Double(m))
                            rm[ch] = (1 - momentum) * rm[ch] + momentum * mu
                            rv[ch] = (1 - momentum) * rv[ch] + momentum * (m > 1 ? variance * Float(m) / Float(m - 1) : variance)
                        } else {
                            mu = rm[ch]
                            variance = rv[ch]
                        }
                        let inv = 1 / (variance + epsilon).squareRoot()
                        meanOut[ch] = mu
                        invOut[ch] = inv
                        let g = gamma[ch], b0 = beta[ch]
                        for s in 0..<n {
                            let o = (s * c + ch) * hw
                            for p in 0..<hw { y[o + p] = g * ((x[o + p] - mu) * inv) + b0 }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The global batch's mean (into `mean`) and biased variance (into `invStd`, which forward
    /// turns into 1/σ), and the running statistics updated with them.
    private func synchronizedStatistics(_ input: Tensor, _ synchronization: any BatchStatisticsSync) {
        let n = input.shape[0], c = channels, hw = input.count / max(n * c, 1)
        if exchange.count != 2 * c + 1 { exchange = [Double](repeating: 0, count: 2 * c + 1) }
        let x = input.data
        exchange[0] = Double(n * hw)
        for ch in 0..<c {
            var sum = 0.0, squares = 0.0
            for s in 0..<n {
                let plane = x + (s * c + ch) * hw
                sum += Double(VectorOps.sumFloat(plane, count: hw))
                squares += Double(VectorOps.dotFloat(plane, plane, count: hw))
            }
            exchange[1 + ch] = sum
            exchange[1 + c + ch] = squares
        }
        exchange.withUnsafeMutableBufferPointer { synchronization.sum($0) }
        let m = exchange[0], rm = runningMean.value.data, rv = runningVar.value.data
        globalCount = Int(m)
        for ch in 0..<c {
            let mu = exchange[1 + ch] / max(m, 1)
            let variance = max(exchange[1 + c + ch] / max(m, 1) - mu * mu, 0)
            mean[ch] = Float(mu)
            invStd[ch] = Float(variance)
            rm[ch] = (1 - momentum) * rm[ch] + momentum * Float(mu)
            rv[ch] = (1 - momentum) * rv[ch] + momentum * Float(m > 1 ? variance * m / (m - 1) : variance)
        }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        if trainedForward, let synchronization { return synchronizedBackward(outputGradient, needsInputGradient, synchronization) }
        guard let input else { preconditionFailure("BatchNorm.backward before forward") }
        let n = input.shape[0], c = channels, hw = input.count / max(n * c, 1), m = Float(n * hw)
        let dy = outputGradient.data, x = input.data
        let gamma = weight.value.data, dgamma = weight.gradient.data, dbeta = bias.gradient.data
        if needsInputGradient { inputGradient.resize(input.shape) }
        let dx = inputGradient.data
        let weightGradient = !weight.isFrozen, biasGradient = !bias.isFrozen, trained = trainedForward
        let mean = mean
        // x̂ serves γ's gradient and the batch-statistics dx only (not a frozen BatchNorm's).
        let needsNormalized = weightGradient || (trained && needsInputGradient)
        invStd.withUnsafeBufferPointer { invStd in
            let invStd = invStd.baseAddress!
            Parallel.forEachPart(c, itemWork: n * hw) { channels in
                // x̂ of one channel, [n, hw], recomputed exactly as forward computed it: keeping
                // it from forward would hold a copy of every BatchNorm's input until backward.
                let channel = Workspace.current.buffer(0, count: n * hw)
                for ch in channels {
                    let mu = mean[ch], inv = invStd[ch]
                    if needsNormalized {
                        for s in 0..<n {
                            let o = (s * c + ch) * hw, xs = channel + s * hw
                            for p in 0..<hw { xs[p] = (x[o + p] - mu) * inv }
                        }
                    }
                    var sumDy: Float = 0, sumDyXh: Float = 0
                    for s in 0..<n {
                        let o = (s * c + ch) * hw
                        sumDy += VectorOps.sumFloat(dy + o, count: hw)
                        if needsNormalized { sumDyXh += VectorOps.dotFloat(dy + o, channel + s * hw, count: hw) }
                    }
                    if weightGradient { dgamma[ch] = sumDyXh }
                    if biasGradient { dbeta[ch] = sumDy }
                    guard needsInputGradient else { continue }
                    let k = gamma[ch] * invStd[ch]
                    if trained {
                        // dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂))
                        let a = sumDy / m, b = sumDyXh / m
                        for s in 0..<n {
                            let o = (s * c + ch) * hw
                            let xs = channel + s * hw
                            for p in 0..<hw { dx[o + p] = k * (dy[o + p] - a - xs[p] * b) }
                        }
                    } else {
                        for s in 0..<n {
                            let o = (s * c + ch) * hw
                            for p in 0..<hw { dx[o + p] = k * dy[o + p] }
                        }
                    }
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }

    /// Backward with the global batch's statistics: dx = γ/σ · (dy − Σdy/M − x̂·Σ(dy·x̂)/M), both
    /// sums and M over every rank; γ's and β's gradients are this rank's sums.
    private func synchronizedBackward(_ outputGradient: Tensor, _ needsInputGradient: Bool,
                                      _ synchronization: any BatchStatisticsSync) -> Tensor? {
        guard let input else { preconditionFailure("BatchNorm.backward before forward") }
        let n = input.shape[0], c = channels, hw = input.count / max(n * c, 1)
        let dy = outputGradient.data, x = input.data
        if exchange.count < 2 * c { exchange = [Double](repeating: 0, count: 2 * c + 1) }
        for ch in 0..<c {
            let mu = mean[ch], inv = invStd[ch]
            var sumDy = 0.0, sumDyXh = 0.0
            for s in 0..<n {
                let o = (s * c + ch) * hw
                for p in 0..<hw {
                    sumDy += Double(dy[o + p])
                    sumDyXh += Double(dy[o + p] * ((x[o + p] - mu) * inv))
                }
            }
            exchange[ch] = sumDy
            exchange[c + ch] = sumDyXh
        }
        if !weight.isFrozen { for ch in 0..<c { weight.gradient.data[ch] = Float(exchange[c + ch]) } }
        if !bias.isFrozen { for ch in 0..<c { bias.gradient.data[ch] = Float(exchange[ch]) } }
        // Every rank exchanges, needed or not: the sums are a collective.
        exchange.withUnsafeMutableBufferPointer { synchronization.sum(UnsafeMutableBufferPointer(rebasing: $0[0..<(2 * c)])) }
        guard needsInputGradient else { return nil }
        inputGradient.resize(input.shape)
        let dx = inputGradient.data, gamma = weight.value.data, m = Double(max(globalCount, 1))
        for ch in 0..<c {
            let mu = mean[ch], inv = invStd[ch], k = gamma[ch] * inv
            let a = Float(exchange[ch] / m), b = Float(exchange[c + ch] / m)
            for s in 0..<n {
                let o = (s * c + ch) * hw
                for p in 0..<hw { dx[o + p] = k * (dy[o + p] - a - (x[o + p] - mu) * inv * b) }
            }
        }
        return inputGradient
    }
}
