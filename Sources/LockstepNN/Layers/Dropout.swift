import LockstepTensor

/// Inverted dropout (Srivastava et al. 2014): in training each element is zeroed with
/// probability p and the survivors scaled by 1/(1 − p); in evaluation it is the identity.
///
/// The mask comes from a counter-based generator keyed by (seed, step, sample, layer) for each
/// row whose global sample index the context gives, else by (seed, step, rank, layer). Keyed by
/// sample, N ranks draw the masks one rank draws for the same global batch, so the run does
/// not depend on the number of ranks, and a checkpoint resumes on another world size exactly.
public final class Dropout: Layer, KeyedLayer {
    public var kind: String { "Dropout" }
    public var parameters: [Parameter] { [] }
    public let probability: Float
    public var layerKey: UInt64 = 0
    private var active = false
    private let mask = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(probability: Float = 0.5) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
    }

    public func build(inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        active = context.training && probability > 0
        guard active else { return input }
        mask.resize(input.shape)
        output.resize(input.shape)
        let keep = 1 / (1 - probability), m = mask.data, x = input.data, y = output.data
        let rows = input.shape.first ?? 1, perRow = input.count / max(rows, 1)
        let keyed = context.samples.map { $0.count == rows } ?? false
        var rng = CounterRNG(seed: context.seed, streams: 0xD50, UInt64(context.step), UInt64(context.rank), layerKey)
        for r in 0..<rows {
            if keyed { rng = CounterRNG(seed: context.seed, streams: 0xD51, UInt64(context.step), UInt64(context.samples![r]), layerKey) }
            for i in (r * perRow)..<((r + 1) * perRow) {
                m[i] = rng.nextUniform() >= probability ? keep : 0
                y[i] = x[i] * m[i]
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard active else { return outputGradient }
        inputGradient.resize(outputGradient.shape)
        let m = mask.data, dy = outputGradient.data, dx = inputGradient.data
        for i in 0..<outputGradient.count { dx[i] = dy[i] * m[i] }
        return inputGradient
    }
}
