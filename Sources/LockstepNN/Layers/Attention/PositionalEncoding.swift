import Foundation
import LockstepTensor

/// Adds each position's code to a sequence, so attention (which ignores order) can tell
/// positions apart: y[n, t] = x[n, t] + P[t].
///
/// - `.sinusoidal` (Vaswani et al. 2017): P[t, 2i] = sin(t / 10000^(2i/D)),
///   P[t, 2i+1] = cos(t / 10000^(2i/D)); fixed, no parameters.
/// - `.learned` (BERT, ViT): P is the parameter `weight` [T, D], drawn N(0, 0.02²).
///
/// Shapes: x [N, T, D], y the same.
public final class PositionalEncoding: Layer {
    public enum Kind: String, Sendable, CaseIterable { case sinusoidal, learned }
    public var kind: String { "PositionalEncoding" }
    public let encoding: Kind
    public private(set) var weight: Parameter?
    /// The sinusoidal codes [T, D] (empty for learned ones), for exporters.
    package private(set) var table: [Float] = []
    private var shape: [Int] = []
    private let output = Tensor(shape: [0])

    public init(_ encoding: Kind = .sinusoidal) { self.encoding = encoding }

    public var parameters: [Parameter] { weight.map { [$0] } ?? [] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time, features]", got: inputShape)
        }
        shape = inputShape
        let (steps, d) = (inputShape[0], inputShape[1])
        switch encoding {
        case .learned: weight = Parameter(name: "weight", shape: inputShape, initializer: .normal(std: 0.02))
        case .sinusoidal:
            table = [Float](repeating: 0, count: steps * d)
            for t in 0..<steps {
                for i in 0..<d {
                    let angle = Double(t) / pow(10_000, Double(i - i % 2) / Double(d))
                    table[t * d + i] = Float(i % 2 == 0 ? sin(angle) : cos(angle))
                }
            }
        }
        return inputShape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let per = shape[0] * shape[1], n = input.count / per
        output.resize(input.shape)
        let x = input.data, y = output.data
        let p: UnsafePointer<Float> = weight.map { UnsafePointer($0.value.data) } ?? table.withUnsafeBufferPointer { $0.baseAddress! }
        for s in 0..<n { for i in 0..<per { y[s * per + i] = x[s * per + i] + p[i] } }
        return output
    }

    /// dx = dy; dP = Σ over the batch of dy.
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        if let weight, !weight.isFrozen {
            let per = shape[0] * shape[1]
            VectorOps.sumRows(outputGradient.data, rows: outputGradient.count / per, cols: per, into: weight.gradient.data)
        }
        return needsInputGradient ? outputGradient : nil
    }
}
