import LockstepTensor

/// One Transformer encoder block (Vaswani et al. 2017), PyTorch's
/// `nn.TransformerEncoderLayer(D, heads, F, dropout=p, activation="gelu", batch_first=True,
/// norm_first=…)`:
///
///     post-norm:  x = norm1(x + drop(attn(x)));          x = norm2(x + drop(ff(x)))
///     pre-norm:   x = x + drop(attn(norm1(x)));           x = x + drop(ff(norm2(x)))
///     ff(x) = linear2(drop(GELU(linear1(x))))
///
/// Made of two `Residual`s. Shapes: x [N, T, D] (D = `dimension`), y the same. Parameters, PyTorch's names:
/// `self_attn.in_proj_weight` … (`MultiHeadAttention`), `linear1.weight` [F, D], `linear1.bias`,
/// `linear2.weight` [D, F], `linear2.bias` (U(±1/√fan-in) as nn.Linear, biases zero), `norm1.*`,
/// `norm2.*` (`LayerNorm`).
public final class TransformerEncoderLayer: LayerContainer, KeyedLayer {
    public var kind: String { "TransformerEncoderLayer" }
    public let normFirst: Bool
    public var layerKey: UInt64 = 0
    public let attention: MultiHeadAttention
    private let blocks: [Residual]
    /// The attention block and the feed-forward block, in order, for exporters.
    package var residualBlocks: [Residual] { blocks }

    public let dimension: Int

    public init(dimension: Int, heads: Int, feedForward: Int, dropout: Float = 0.1, normFirst: Bool = true, causal: Bool = false) {
        precondition(dimension > 0 && feedForward > 0, "a TransformerEncoderLayer needs positive widths, got \(dimension), \(feedForward)")
        self.dimension = dimension
        self.normFirst = normFirst
        attention = MultiHeadAttention(heads: heads, causal: causal, dropout: dropout)
        let attend: [(String, any Layer)] = [("self_attn", attention), ("dropout1", Dropout(probability: dropout))]
        let feed: [(String, any Layer)] = [
            ("linear1", Dense(outputSize: feedForward, weightInitializer: .uniform(bound: 1 / Float(dimension).squareRoot()))),
            ("gelu", GELU()), ("dropout", Dropout(probability: dropout)),
            ("linear2", Dense(outputSize: dimension, weightInitializer: .uniform(bound: 1 / Float(feedForward).squareRoot()))),
            ("dropout2", Dropout(probability: dropout))]
        blocks = [("norm1", attend), ("norm2", feed)].map { norm, body in
            normFirst ? Residual(body: Sequential(named: [(norm, LayerNorm())] + body))
                      : Residual(body: Sequential(named: body), post: Sequential(named: [(norm, LayerNorm())]))
        }
    }

    public var parameters: [Parameter] { blocks.flatMap(\.parameters) }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape[0] > 0, inputShape[1] == dimension else {
            throw LayerError.shape(self, expected: "[time, \(dimension)]", got: inputShape)
        }
        for (i, block) in blocks.enumerated() {
            block.layerKey = CounterRNG.mix(layerKey ^ UInt64(i + 1))
            _ = try block.build(inputShape: inputShape)
        }
        return inputShape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        blocks.reduce(input) { x, block in block.forward(x, context) }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        let g = blocks[1].backward(outputGradient, needsInputGradient: true, ready)!
        return blocks[0].backward(g, needsInputGradient: needsInputGradient, ready)
    }
}
