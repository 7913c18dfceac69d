import LockstepNN
import LockstepTensor

/// What a recipe's `model:` says of a Transformer (`name: transformer`).
public struct TransformerSpec: Sendable, Equatable {
    /// Model width D (d_model).
    public var dimension = 64
    public var heads = 4
    /// Feed-forward width (4·D when nil).
    public var feedForward: Int?
    public var positional: PositionalEncoding.Kind = .sinusoidal
    /// `.first` puts a [CLS] token in front and classifies its final state.
    public var pooling: SequencePool.Mode = .first
    public var normFirst = true
    public var causal = false
    /// Token ids in 0..<V as input (an Embedding); nil: feature vectors (a Dense projection).
    public var vocabulary: Int?

    public init() {}
}

/// A Transformer encoder classifier (the BERT/ViT recipe): inputs embedded to D (token ids
/// through `embed` = Embedding, feature vectors or image rows through `embed` = Dense), an
/// optional [CLS] token, positional encodings, L encoder blocks, a final LayerNorm after
/// pre-norm blocks (as PyTorch's `TransformerEncoder(norm=…)`), pooling and a Dense head.
///
/// Names: `embed.weight`, `cls.weight`, `pos.weight` (learned), `encoder.layers.K.self_attn.…`
/// (PyTorch's `nn.TransformerEncoder` layout), `encoder.norm.*`, `fc.weight`, `fc.bias`.
public enum TransformerClassifier {
    public static func make(_ spec: TransformerSpec, layers: Int, dropout: Float, inputShape: [Int], classes: Int) throws -> Sequential {
        let d = spec.dimension
        guard d > 0, spec.heads > 0, d % spec.heads == 0, layers > 0 else {
            throw LayerError(kind: "Transformer", message: "model.dim (\(d)) must be a positive multiple of model.heads (\(spec.heads)), with model.layers ≥ 1 (got \(layers))")
        }
        guard !(spec.causal && spec.pooling == .first) else {
            throw LayerError(kind: "Transformer", message: "model.causal hides every later position from the [CLS] token at position 0, so model.pooling: first would read nothing of the input; use model.pooling: mean")
        }
        var children: [(String, any Layer)] = []
        if inputShape.count == 3 { children.append(("rows", ImageRows())) }
        if let vocabulary = spec.vocabulary {
            guard inputShape.count == 1 else {
                throw LayerError(kind: "Transformer", message: "model.vocabulary wants token ids [time], but the data's samples are \(inputShape)")
            }
            children.append(("embed", Embedding(vocabulary: vocabulary, dimension: d)))
        } else {
            guard inputShape.count >= 2 else {
                throw LayerError(kind: "Transformer", message: "samples \(inputShape) are not a sequence [time, features] or an image; token ids need model.vocabulary")
            }
            children.append(("embed", Dense(outputSize: d, weightInitializer: .glorotUniform)))
        }
        if spec.pooling == .first { children.append(("cls", ClassToken())) }
        children.append(("pos", PositionalEncoding(spec.positional)))
        let blocks = (0..<layers).map { _ in
            TransformerEncoderLayer(dimension: d, heads: spec.heads, feedForward: spec.feedForward ?? 4 * d, dropout: dropout,
                                    normFirst: spec.normFirst, causal: spec.causal) as any Layer
        }
        var encoder: [(String, any Layer)] = [("layers", Sequential(blocks))]
        if spec.normFirst { encoder.append(("norm", LayerNorm())) }
        children += [("encoder", Sequential(named: encoder)), ("pool", SequencePool(spec.pooling)),
                     ("fc", Dense(outputSize: classes, weightInitializer: .uniform(bound: 1 / Float(d).squareRoot())))]
        return Sequential(named: children)
    }
}
