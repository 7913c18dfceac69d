import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// Attention and the Transformer's pieces: finite differences, hand values, and PyTorch's
/// values (Tests/Fixtures/torch_sequence.h5, made by make_sequence_fixtures.py).
final class AttentionTests: XCTestCase {
    func testDenseActsPositionByPositionOnSequences() throws {
        try TorchCase("linear_sequence", file: "torch_sequence.h5").check(Dense(outputSize: 3))
        let dense = Dense(outputSize: 2)
        try bind(dense, inputShape: [3, 4], seed: 2)
        checkGradients(dense, input: randomTensor([2, 3, 4], seed: 3))
        XCTAssertThrowsError(try Dense(outputSize: 2).build(inputShape: [1, 28, 28])) { error in
            XCTAssert("\(error)".contains("flatten images first"), "\(error)")
        }
    }

    func testSelfAttentionMatchesPyTorch() throws {
        for name in ["attention", "attention_causal", "attention_padded"] {
            let c = try TorchCase(name, file: "torch_sequence.h5")
            try c.check(MultiHeadAttention(heads: try c.setting("heads"), causal: try c.setting("causal") == 1))
        }
    }

    func testSelfAttentionGradients() throws {
        for causal in [false, true] {
            let attention = MultiHeadAttention(heads: 2, causal: causal)
            try bind(attention, inputShape: [5, 4], seed: 4)
            checkGradients(attention, input: randomTensor([2, 5, 4], seed: 5), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
        }
    }

    /// With a causal mask, changing the last position changes no earlier output.
    func testCausalAttentionDoesNotLookAhead() throws {
        let attention = MultiHeadAttention(heads: 2, causal: true)
        try bind(attention, inputShape: [4, 6], seed: 6)
        let x = randomTensor([1, 4, 6], seed: 7)
        let before = attention.forward(x, ForwardContext(training: false)).toArray()
        for i in 18..<24 { x.data[i] += 1 }
        let after = attention.forward(x, ForwardContext(training: false)).toArray()
        XCTAssertEqual(Array(before[0..<18]), Array(after[0..<18]))
        XCTAssertNotEqual(Array(before[18...]), Array(after[18...]))
    }

    /// Attention dropout drops weights in training only, with the same masks for the same samples.
    func testAttentionDropoutIsKeyedBySample() throws {
        let attention = MultiHeadAttention(heads: 1, dropout: 0.5)
        try bind(attention, inputShape: [3, 4], seed: 8)
        let x = randomTensor([2, 3, 4], seed: 9)
        let eval = attention.forward(x, ForwardContext(training: false)).toArray()
        let a = attention.forward(x, ForwardContext(training: true, seed: 1, step: 2, samples: [10, 11])).toArray()
        XCTAssertNotEqual(a, eval)
        // Sample 11 alone, as another rank would see it: its rows are the same.
        let b = attention.forward(Tensor(shape: [1, 3, 4], values: Array(x.toArray()[12...])),
                                  ForwardContext(training: true, seed: 1, step: 2, rank: 1, samples: [11])).toArray()
        XCTAssertEqual(Array(a[12...]), b)
    }

    func testAttentionNamesWhatItExpects() {
        XCTAssertThrowsError(try MultiHeadAttention(heads: 3).build(inputShape: [5, 8])) { error in
            XCTAssert("\(error)".contains("MultiHeadAttention") && "\(error)".contains("divisible by the 3 heads"), "\(error)")
        }
    }

    func testTransformerEncoderLayerMatchesPyTorch() throws {
        for name in ["transformer_post", "transformer_pre", "transformer_pre_padded"] {
            let c = try TorchCase(name, file: "torch_sequence.h5")
            try c.check(TransformerEncoderLayer(dimension: try c.setting("dimension"), heads: try c.setting("heads"),
                                                feedForward: try c.setting("feed_forward"), dropout: 0,
                                                normFirst: try c.setting("norm_first") == 1))
        }
    }

    func testTransformerEncoderLayerGradients() throws {
        for normFirst in [false, true] {
            let layer = TransformerEncoderLayer(dimension: 4, heads: 2, feedForward: 6, dropout: 0, normFirst: normFirst)
            try bind(layer, inputShape: [3, 4], seed: 10)
            checkGradients(layer, input: randomTensor([2, 3, 4], seed: 11), eps: 1e-2, rtol: 1e-2, atol: 1e-3)
        }
    }

    func testPositionalEncodings() throws {
        let sinusoidal = PositionalEncoding(.sinusoidal)
        try bind(sinusoidal, inputShape: [3, 4])
        let y = sinusoidal.forward(Tensor(shape: [1, 3, 4], values: [Float](repeating: 0, count: 12)), ForwardContext(training: true))
        // P[t, 2i] = sin(t / 10000^(2i/4)), P[t, 2i+1] = cos(…): by hand for t = 0…2.
        let expected: [Float] = [0, 1, 0, 1, sin(1), cos(1), sin(0.01), cos(0.01), sin(2), cos(2), sin(0.02), cos(0.02)]
        assertClose(y.toArray(), expected, rtol: 1e-6, atol: 1e-6)
        XCTAssert(sinusoidal.parameters.isEmpty)
        let learned = PositionalEncoding(.learned)
        try bind(learned, inputShape: [3, 4], seed: 12)
        XCTAssertEqual(learned.parameters.map(\.shape), [[3, 4]])
        checkGradients(learned, input: randomTensor([2, 3, 4], seed: 13))
    }

    /// With padding in the context, what padded steps hold changes no real step's output,
    /// through attention, mean pooling and a bidirectional stacked LSTM.
    func testPaddingIsIgnored() throws {
        let attention = MultiHeadAttention(heads: 2)
        try bind(attention, inputShape: [5, 4], seed: 20)
        let lstm = LSTM(hiddenSize: 3, layers: 2, bidirectional: true, returnSequences: false)
        try bind(lstm, inputShape: [5, 4], seed: 21)
        let pool = SequencePool(.mean)
        _ = try pool.build(inputShape: [5, 4])
        let context = ForwardContext(training: false, padding: [2, 0])
        let x = randomTensor([2, 5, 4], seed: 22), changed = Tensor(shape: x.shape, values: x.toArray())
        for i in 12..<20 { changed.data[i] = 9 }  // sample 0, steps 3 and 4: its padding
        let a = attention.forward(x, context).toArray(), b = attention.forward(changed, context).toArray()
        XCTAssertEqual(Array(a[0..<12]), Array(b[0..<12]), "sample 0's real steps")
        XCTAssertEqual(Array(a[20...]), Array(b[20...]), "sample 1")
        XCTAssertEqual(lstm.forward(x, context).toArray(), lstm.forward(changed, context).toArray())
        XCTAssertEqual(pool.forward(x, context).toArray(), pool.forward(changed, context).toArray())
        XCTAssertNotEqual(pool.forward(x, ForwardContext(training: false)).toArray(), pool.forward(changed, ForwardContext(training: false)).toArray())
        // Padded steps embed as zeros whatever id they hold, even one outside the vocabulary.
        let embedding = Embedding(vocabulary: 4, dimension: 2)
        try bind(embedding, inputShape: [3], seed: 23)
        let ids = Tensor(shape: [1, 3], values: [1, 3, 99])
        let e = embedding.forward(ids, ForwardContext(training: true, padding: [1])).toArray()
        XCTAssertEqual(Array(e[4...]), [0, 0])
        XCTAssert(e[0..<4].allSatisfy(\.isFinite))
        _ = embedding.backward(Tensor(shape: [1, 3, 2], values: [1, 1, 1, 1, 5, 5]), needsInputGradient: false, nil)
        XCTAssertEqual(embedding.weight.gradient.toArray().reduce(0, +), 4, "no gradient from the padded step")
    }

    func testClassTokenAndPooling() throws {
        let token = ClassToken()
        try bind(token, inputShape: [2, 3], seed: 14)
        XCTAssertEqual(token.parameters.map(\.shape), [[1, 1, 3]])
        let y = token.forward(Tensor(shape: [1, 2, 3], values: [1, 2, 3, 4, 5, 6]), ForwardContext(training: true)).toArray()
        XCTAssertEqual(Array(y[0..<3]), token.weight.value.toArray())
        XCTAssertEqual(Array(y[3...]), [1, 2, 3, 4, 5, 6])
        checkGradients(token, input: randomTensor([2, 2, 3], seed: 15))
        for mode in SequencePool.Mode.allCases {
            let pool = SequencePool(mode)
            XCTAssertEqual(try pool.build(inputShape: [2, 3]), [3])
            let p = pool.forward(Tensor(shape: [1, 2, 3], values: [1, 2, 3, 5, 6, 7]), ForwardContext(training: true)).toArray()
            XCTAssertEqual(p, mode == .mean ? [3, 4, 5] : [1, 2, 3])
            checkGradients(pool, input: randomTensor([2, 2, 3], seed: 16))
        }
    }
}
