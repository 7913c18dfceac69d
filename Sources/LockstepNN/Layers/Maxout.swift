import LockstepTensor

/// Maxout (Goodfellow et al. 2013): a dense layer to units·pieces outputs, then the maximum
/// over each unit's pieces: y[n, u] = max_j z[n, u·pieces + j], z = x·Wᵀ + b.
///
/// Parameters are the inner dense layer's, `linear.weight` [units·pieces, in] (row u·pieces + j
/// is piece j of unit u) and `linear.bias`.
public final class Maxout: LayerContainer {
    public var kind: String { "Maxout" }
    public let units: Int
    public let pieces: Int
    public let linear: Dense
    private var argmax: [Int32] = []
    private let output = Tensor(shape: [0])
    private let linearGradient = Tensor(shape: [0])

    public init(units: Int, pieces: Int) {
        precondition(units > 0 && pieces > 0, "Maxout needs positive units and pieces")
        self.units = units
        self.pieces = pieces
        self.linear = Dense(outputSize: units * pieces)
    }

    public var parameters: [Parameter] { linear.parameters }

    public func build(inputShape: [Int]) throws -> [Int] {
        do { _ = try linear.build(inputShape: inputShape) } catch let e as LayerError { throw e.prefixed("linear") }
        for p in linear.parameters { p.name = "linear." + p.name }
        return [units]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let z = linear.forward(input, context)
        let n = input.shape[0]
        output.resize([n, units])
        if argmax.count < n * units { argmax = [Int32](repeating: 0, count: n * units) }
        let zp = z.data, y = output.data
        for r in 0..<n * units {
            let base = r * pieces
            var best = 0
            for j in 1..<max(pieces, 1) where zp[base + j] > zp[base + best] { best = j }
            y[r] = zp[base + best]
            argmax[r] = Int32(best)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        let n = outputGradient.shape[0]
        linearGradient.resize([n, units * pieces])
        linearGradient.fill(0)
        let dz = linearGradient.data, dy = outputGradient.data
        for r in 0..<n * units { dz[r * pieces + Int(argmax[r])] = dy[r] }
        let dx = linear.backward(linearGradient, needsInputGradient: needsInputGradient, ready)
        ready?(linear.parameters)
        return dx
    }
}
