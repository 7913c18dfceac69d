import LockstepTensor

/// A sequence's summary for a classifier head: the mean over time (over each row's real steps
/// when `ForwardContext.padding` says some are padding), or the first position's state (the
/// [CLS] token that `ClassToken` put there).
///
/// Shapes: x [N, T, D] → y [N, D].
public final class SequencePool: Layer {
    public enum Mode: String, Sendable, CaseIterable { case mean, first }
    public var kind: String { "SequencePool" }
    public let mode: Mode
    private var steps = 0
    private var width = 0
    /// Each row's real steps in the last forward.
    private var lengths: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(_ mode: Mode = .mean) { self.mode = mode }

    public var parameters: [Parameter] { [] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time, features]", got: inputShape)
        }
        (steps, width) = (inputShape[0], inputShape[1])
        return [width]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let n = input.shape[0], x = input.data
        lengths = (0..<n).map { context.length($0, of: steps) }
        output.resize([n, width])
        let y = output.data
        for s in 0..<n {
            let row = y + s * width, sample = x + s * steps * width
            switch mode {
            case .first: row.update(from: sample, count: width)
            case .mean:
                row.update(repeating: 0, count: width)
                for t in 0..<lengths[s] { for i in 0..<width { row[i] += sample[t * width + i] } }
                for i in 0..<width { row[i] /= Float(lengths[s]) }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient else { return nil }
        let n = outputGradient.shape[0], dy = outputGradient.data
        inputGradient.resize([n, steps, width])
        let dx = inputGradient.data
        for s in 0..<n {
            let sample = dx + s * steps * width
            switch mode {
            case .first:
                sample.update(repeating: 0, count: steps * width)
                sample.update(from: dy + s * width, count: width)
            case .mean:
                let scale = 1 / Float(lengths[s])
                for t in 0..<steps { for i in 0..<width { sample[t * width + i] = t < lengths[s] ? dy[s * width + i] * scale : 0 } }
            }
        }
        return inputGradient
    }
}
