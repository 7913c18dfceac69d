import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// The sequence models' building blocks: finite differences and PyTorch's values
/// (Tests/Fixtures/torch_sequence.h5, made by make_sequence_fixtures.py).
final class SequenceLayerTests: XCTestCase {
    func testLayerNormGradients() throws {
        for shape in [[3, 7], [2, 4, 5]] {
            let norm = LayerNorm()
            try bind(norm, inputShape: Array(shape.dropFirst()), seed: 2)
            // γ and β away from their defaults, so their gradients and γ's part in dx are tested.
            norm.weight.value.assign((0..<shape.last!).map { 0.5 + 0.2 * Float($0) })
            norm.bias.value.assign((0..<shape.last!).map { 0.1 * Float($0) - 0.2 })
            checkGradients(norm, input: randomTensor(shape, seed: 6), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
        }
    }

    func testLayerNormMatchesPyTorch() throws {
        for name in ["layernorm", "layernorm_2d"] {
            let c = try TorchCase(name, file: "torch_sequence.h5")
            let x = try c.tensor("x")
            let norm = LayerNorm(epsilon: name == "layernorm_2d" ? 1e-3 : 1e-5)
            try bind(norm, inputShape: Array(x.shape.dropFirst()))
            norm.weight.value.copy(from: try c.tensor("weight"))
            norm.bias.value.copy(from: try c.tensor("bias"))
            assertClose(norm.forward(x, ForwardContext(training: true)).toArray(), try c.values("y"), "\(name) y")
            let gx = norm.backward(try c.tensor("gy"), needsInputGradient: true, nil)!
            assertClose(gx.toArray(), try c.values("gx"), "\(name) gx")
            assertClose(norm.weight.gradient.toArray(), try c.values("grad_weight"), "\(name) grad_weight")
            assertClose(norm.bias.gradient.toArray(), try c.values("grad_bias"), "\(name) grad_bias")
        }
    }

    func testEmbeddingMatchesPyTorchAndSumsRepeatedTokens() throws {
        let c = try TorchCase("embedding", file: "torch_sequence.h5")
        let ids = try c.tensor("x"), w = try c.tensor("weight")
        let embedding = Embedding(vocabulary: w.shape[0], dimension: w.shape[1])
        XCTAssertEqual(try embedding.build(inputShape: [5]), [5, 3])
        try bind(embedding, inputShape: [5])
        embedding.weight.value.copy(from: w)
        assertClose(embedding.forward(ids, ForwardContext(training: true)).toArray(), try c.values("y"), "embedding y")
        let gx = embedding.backward(try c.tensor("gy"), needsInputGradient: true, nil)!
        XCTAssertEqual(gx.toArray(), [Float](repeating: 0, count: ids.count), "token ids get no gradient")
        assertClose(embedding.weight.gradient.toArray(), try c.values("grad_weight"), "embedding grad_weight (token 1, 4 and 6 twice)")
    }

    func testEmbeddingGivesNaNForAnIdOutsideTheVocabulary() throws {
        let embedding = Embedding(vocabulary: 4, dimension: 2)
        try bind(embedding, inputShape: [3])
        let y = embedding.forward(Tensor(shape: [1, 3], values: [0, 4, 1.5]), ForwardContext(training: true))
        XCTAssertFalse(y[0].isNaN)
        XCTAssert(y[2].isNaN && y[3].isNaN, "id 4 of a vocabulary of 4")
        XCTAssert(y[4].isNaN, "a fractional id")
        XCTAssertThrowsError(try Embedding(vocabulary: 4, dimension: 2).build(inputShape: [])) { error in
            XCTAssert("\(error)".contains("Embedding"), "\(error)")
        }
    }

    /// An LSTM or a GRU of `hidden` units.
    func recurrent(_ kind: String, hidden: Int, sequences: Bool) -> any Layer {
        kind == "lstm" ? LSTM(hiddenSize: hidden, returnSequences: sequences) : GRU(hiddenSize: hidden, returnSequences: sequences)
    }

    func testRecurrentGradientsThroughTime() throws {
        for kind in ["lstm", "gru"] {
            for sequences in [true, false] {
                let layer = recurrent(kind, hidden: 3, sequences: sequences)
                try bind(layer, inputShape: [4, 2], seed: 3)
                checkGradients(layer, input: randomTensor([2, 4, 2], seed: 8), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
            }
        }
    }

    func testRecurrentLayersMatchPyTorch() throws {
        for kind in ["lstm", "gru"] {
            for name in ["\(kind)_sequence", "\(kind)_last"] {
                let c = try TorchCase(name, file: "torch_sequence.h5")
                let x = try c.tensor("x"), w = try c.tensor("weight_hh_l0")
                let layer = recurrent(kind, hidden: w.shape[1], sequences: name.hasSuffix("sequence"))
                try bind(layer, inputShape: Array(x.shape.dropFirst()))
                XCTAssertEqual(layer.parameters.map(\.name), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
                for p in layer.parameters { p.value.copy(from: try c.tensor(p.name)) }
                assertClose(layer.forward(x, ForwardContext(training: true)).toArray(), try c.values("y"), "\(name) y")
                let gx = layer.backward(try c.tensor("gy"), needsInputGradient: true, nil)!
                assertClose(gx.toArray(), try c.values("gx"), "\(name) gx")
                for p in layer.parameters { assertClose(p.gradient.toArray(), try c.values("grad_" + p.name), "\(name) grad_\(p.name)") }
            }
        }
    }

    /// A recurrent layer of a fixture's kind and settings.
    func recurrent(_ c: TorchCase) throws -> any Layer {
        let h = try c.setting("hidden"), layers = try c.setting("layers"), both = try c.setting("bidirectional") == 1
        let sequences = !c.name.hasSuffix("last")
        if c.name.hasPrefix("lstm") { return LSTM(hiddenSize: h, layers: layers, bidirectional: both, returnSequences: sequences) }
        if c.name.hasPrefix("gru") { return GRU(hiddenSize: h, layers: layers, bidirectional: both, returnSequences: sequences) }
        return RNN(hiddenSize: h, layers: layers, bidirectional: both, relu: try c.setting("relu") == 1, returnSequences: sequences)
    }

    func testStackedAndBidirectionalLayersMatchPyTorch() throws {
        for name in ["lstm_stacked_bidirectional", "lstm_bidirectional_last", "gru_stacked_last", "gru_stacked_bidirectional_last",
                     "rnn_tanh", "rnn_relu_stacked_bidirectional_last",
                     "lstm_packed_stacked_bidirectional_last", "gru_packed_bidirectional_sequence"] {
            let c = try TorchCase(name, file: "torch_sequence.h5")
            try c.check(try recurrent(c))
        }
    }

    func testStackedBidirectionalGradientsThroughTime() throws {
        let layers: [any Layer] = [LSTM(hiddenSize: 3, layers: 2, bidirectional: true, returnSequences: false),
                                   GRU(hiddenSize: 2, layers: 2, bidirectional: true),
                                   RNN(hiddenSize: 3, layers: 2, bidirectional: true, returnSequences: false)]
        for layer in layers {
            try bind(layer, inputShape: [4, 2], seed: 3)
            checkGradients(layer, input: randomTensor([2, 4, 2], seed: 8), eps: 1e-2, rtol: 5e-3, atol: 5e-4)
        }
    }

    /// Dropout between stacked layers acts in training only and is keyed by sample.
    func testDropoutBetweenLayers() throws {
        let lstm = LSTM(hiddenSize: 4, layers: 2, dropout: 0.5, returnSequences: false)
        try bind(lstm, inputShape: [3, 2], seed: 5)
        let x = randomTensor([2, 3, 2], seed: 6)
        let eval = lstm.forward(x, ForwardContext(training: false)).toArray()
        let train = lstm.forward(x, ForwardContext(training: true, seed: 1, step: 1, samples: [0, 1])).toArray()
        XCTAssertNotEqual(eval, train)
        XCTAssertEqual(lstm.forward(x, ForwardContext(training: true, seed: 1, step: 1, samples: [0, 1])).toArray(), train)
    }

    func testRecurrentLayersNameWhatTheyExpect() {
        for kind in ["lstm", "gru"] {
            XCTAssertThrowsError(try recurrent(kind, hidden: 4, sequences: true).build(inputShape: [28 * 28])) { error in
                XCTAssert("\(error)".contains(kind.uppercased()) && "\(error)".contains("[time, features]"), "\(error)")
            }
        }
    }

    func testImageRowsPermutesChannelsIntoSteps() throws {
        let rows = ImageRows()
        XCTAssertEqual(try rows.build(inputShape: [2, 3, 2]), [3, 4])
        // One sample, channel 0 = 0…5, channel 1 = 10…15: step t holds row t of channel 0, then of channel 1.
        let x = Tensor(shape: [1, 2, 3, 2], values: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])
        XCTAssertEqual(rows.forward(x, ForwardContext(training: true)).toArray(), [0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 14, 15])
        checkGradients(rows, input: randomTensor([2, 2, 3, 2], seed: 4))
    }
}
