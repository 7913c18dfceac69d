import LockstepTensor

/// What `LSTM`, `GRU` and `RNN` share as layers, PyTorch's `nn.LSTM(I, H, num_layers=L,
/// bidirectional=B, dropout=p, batch_first=True)` and its kin: L layers of one or two
/// directions (`RecurrentSweep`s), each layer reading the one below; a reverse sweep reads its
/// input backwards in time, and both directions' states stand side by side, forward first.
///
/// Shapes: x [N, T, I]; y [N, T, D·H] (`returnSequences`, D = 2 when bidirectional) or the
/// last state of each direction of the top layer, [N, D·H]: h_T forward, then the reverse
/// sweep's h at t = 0 (PyTorch's `h_n[-2:]` side by side). With padding in the context
/// (`ForwardContext.padding`) each row stops at its last real step L − 1, as a PyTorch packed
/// sequence: the last state is taken there, a reverse sweep starts there, and the output at
/// padded steps is zero (their gradients are ignored). Parameters in PyTorch's order and
/// names: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then `…_l0_reverse`, then
/// `…_l1`; layer K > 0 reads D·H features. Dropout of probability p acts on every layer's
/// output but the top one's, in training.
public class RecurrentLayer: Layer, KeyedLayer {
    public var kind: String { preconditionFailure("RecurrentLayer is abstract: use LSTM, GRU or RNN") }
    public let hiddenSize: Int
    public let layerCount: Int
    public let bidirectional: Bool
    public let returnSequences: Bool
    public var layerKey: UInt64 = 0
    /// sweeps[layer][direction], direction 1 the reverse one.
    private(set) var sweeps: [[RecurrentSweep]] = []
    private var dropouts: [Dropout] = []
    /// Per layer: the reversed input of its reverse sweep, and its output (directions joined).
    private var reversedInputs: [Tensor] = []
    private var outputs: [Tensor] = []
    private let lastStates = Tensor(shape: [0])
    /// Scratch for gradients: the top layer's [N, T, D·H], one direction's, and a layer input's.
    private let sequenceGradient = Tensor(shape: [0])
    private let directionGradient = Tensor(shape: [0])
    private var inputGradients: [Tensor] = []
    /// Each row's real steps in the last forward (nil: no padding).
    private var lengths: [Int]?

    init(hiddenSize: Int, layers: Int, bidirectional: Bool, dropout: Float, returnSequences: Bool) {
        precondition(hiddenSize > 0 && layers > 0, "a recurrent layer needs hiddenSize and layers > 0, got \(hiddenSize), \(layers)")
        self.hiddenSize = hiddenSize
        self.layerCount = layers
        self.bidirectional = bidirectional
        self.returnSequences = returnSequences
        dropouts = (1..<max(layers, 1)).map { _ in Dropout(probability: dropout) }
    }

    /// One sweep of this layer's cell; `suffix` is "l0", "l1_reverse", ….
    func makeSweep(inputSize: Int, suffix: String) -> RecurrentSweep {
        preconditionFailure("\(kind) must make its sweeps")
    }

    private var directions: Int { bidirectional ? 2 : 1 }

    public var parameters: [Parameter] { sweeps.flatMap { $0.flatMap(\.parameters) } }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time, features]", got: inputShape)
        }
        sweeps = (0..<layerCount).map { l in
            (0..<directions).map { d in
                makeSweep(inputSize: l == 0 ? inputShape[1] : directions * hiddenSize, suffix: "l\(l)" + (d == 1 ? "_reverse" : ""))
            }
        }
        for (i, dropout) in dropouts.enumerated() { dropout.layerKey = CounterRNG.mix(layerKey ^ UInt64(i + 1)) }
        reversedInputs = (0..<layerCount).map { _ in Tensor(shape: [0]) }
        outputs = (0..<layerCount).map { _ in Tensor(shape: [0]) }
        inputGradients = (0..<layerCount).map { _ in Tensor(shape: [0]) }
        let width = directions * hiddenSize
        return returnSequences ? [inputShape[0], width] : [width]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let n = input.shape[0], steps = input.shape[1], h = hiddenSize, width = directions * h
        lengths = context.padding == nil ? nil : (0..<n).map { context.length($0, of: steps) }
        var x = input
        for l in 0..<layerCount {
            if l > 0 { x = dropouts[l - 1].forward(x, context) }
            x = forwardLayer(l, x)
        }
        guard !returnSequences else {
            if let lengths { for s in 0..<n { (x.data + (s * steps + lengths[s]) * width).update(repeating: 0, count: (steps - lengths[s]) * width) } }
            return x
        }
        lastStates.resize([n, width])
        for s in 0..<n {
            let last = (lengths?[s] ?? steps) - 1
            (lastStates.data + s * width).update(from: x.data + (s * steps + last) * width, count: h)
            if bidirectional { (lastStates.data + s * width + h).update(from: x.data + s * steps * width + h, count: h) }
        }
        return lastStates
    }

    /// Layer `l`'s sweeps over x [N, T, I], joined into [N, T, D·H].
    private func forwardLayer(_ l: Int, _ x: Tensor) -> Tensor {
        let forward = sweeps[l][0].forward(x)
        guard bidirectional else { return forward }
        let n = x.shape[0], steps = x.shape[1], features = x.shape[2], h = hiddenSize
        let reversed = reversedInputs[l]
        reversed.resize(x.shape)
        Recurrence.copySteps(x.data, sourceWidth: features, into: reversed.data, destinationWidth: features, width: features,
                             samples: n, steps: steps, reversed: true, lengths: lengths)
        let backward = sweeps[l][1].forward(reversed)
        let y = outputs[l]
        y.resize([n, steps, 2 * h])
        Recurrence.copySteps(forward.data, sourceWidth: h, into: y.data, destinationWidth: 2 * h, width: h,
                             samples: n, steps: steps, reversed: false)
        Recurrence.copySteps(backward.data, sourceWidth: h, into: y.data, destinationWidth: 2 * h, destinationOffset: h, width: h,
                             samples: n, steps: steps, reversed: true, lengths: lengths)
        return y
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        var g: Tensor? = returnSequences ? maskedSequenceGradient(outputGradient) : spreadLastStateGradient(outputGradient)
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let needs = l > 0 || needsInputGradient
            g = backwardLayer(l, g!, needsInputGradient: needs)
            if l > 0 { g = dropouts[l - 1].backward(g!, needsInputGradient: true, nil) }
        }
        return g
    }

    /// The top layer's output gradient, less what reaches padded steps (their output is zero).
    private func maskedSequenceGradient(_ dy: Tensor) -> Tensor {
        guard let lengths else { return dy }
        let n = dy.shape[0], steps = dy.shape[1], width = directions * hiddenSize
        sequenceGradient.resize(dy.shape)
        sequenceGradient.copy(from: dy)
        for s in 0..<n { (sequenceGradient.data + (s * steps + lengths[s]) * width).update(repeating: 0, count: (steps - lengths[s]) * width) }
        return sequenceGradient
    }

    /// The top layer's output gradient [N, T, D·H] from that of the last states [N, D·H].
    private func spreadLastStateGradient(_ dy: Tensor) -> Tensor {
        let n = dy.shape[0], steps = sweeps[layerCount - 1][0].input!.shape[1], h = hiddenSize, width = directions * h
        sequenceGradient.resize([n, steps, width])
        sequenceGradient.fill(0)
        for s in 0..<n {
            let last = (lengths?[s] ?? steps) - 1
            (sequenceGradient.data + (s * steps + last) * width).update(from: dy.data + s * width, count: h)
            if bidirectional { (sequenceGradient.data + s * steps * width + h).update(from: dy.data + s * width + h, count: h) }
        }
        return sequenceGradient
    }

    /// Layer `l`'s backward: dy [N, T, D·H] → dx [N, T, I], both directions' contributions summed.
    private func backwardLayer(_ l: Int, _ dy: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard bidirectional else { return sweeps[l][0].backward(dy, needsInputGradient: needsInputGradient) }
        let n = dy.shape[0], steps = dy.shape[1], h = hiddenSize
        directionGradient.resize([n, steps, h])
        Recurrence.copySteps(dy.data, sourceWidth: 2 * h, into: directionGradient.data, destinationWidth: h, width: h,
                             samples: n, steps: steps, reversed: false)
        let forward = sweeps[l][0].backward(directionGradient, needsInputGradient: needsInputGradient)
        let dx = inputGradients[l]
        if let forward { dx.resize(forward.shape); dx.copy(from: forward) }
        Recurrence.copySteps(dy.data, sourceWidth: 2 * h, sourceOffset: h, into: directionGradient.data, destinationWidth: h, width: h,
                             samples: n, steps: steps, reversed: true, lengths: lengths)
        guard let backward = sweeps[l][1].backward(directionGradient, needsInputGradient: needsInputGradient) else { return nil }
        let features = backward.shape[2]
        Recurrence.copySteps(backward.data, sourceWidth: features, into: dx.data, destinationWidth: features, width: features,
                             samples: n, steps: steps, reversed: true, lengths: lengths, accumulate: true)
        return dx
    }
}

/// Long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch's `nn.LSTM` batch first:
/// the cell is `LSTMSweep`'s, the stacking and directions `RecurrentLayer`'s.
public final class LSTM: RecurrentLayer {
    override public var kind: String { "LSTM" }

    override public init(hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false, dropout: Float = 0, returnSequences: Bool = true) {
        super.init(hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional, dropout: dropout, returnSequences: returnSequences)
    }

    override func makeSweep(inputSize: Int, suffix: String) -> RecurrentSweep {
        LSTMSweep(inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix)
    }
}

/// Gated recurrent unit (Cho et al. 2014), PyTorch's `nn.GRU` batch first: the cell is
/// `GRUSweep`'s, the stacking and directions `RecurrentLayer`'s.
public final class GRU: RecurrentLayer {
    override public var kind: String { "GRU" }

    override public init(hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false, dropout: Float = 0, returnSequences: Bool = true) {
        super.init(hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional, dropout: dropout, returnSequences: returnSequences)
    }

    override func makeSweep(inputSize: Int, suffix: String) -> RecurrentSweep {
        GRUSweep(inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix)
    }
}

/// The simple (Elman) recurrent network, PyTorch's `nn.RNN` batch first, tanh or ReLU: the
/// cell is `RNNSweep`'s, the stacking and directions `RecurrentLayer`'s.
public final class RNN: RecurrentLayer {
    override public var kind: String { "RNN" }
    public let relu: Bool

    public init(hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false, dropout: Float = 0, relu: Bool = false,
                returnSequences: Bool = true) {
        self.relu = relu
        super.init(hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional, dropout: dropout, returnSequences: returnSequences)
    }

    override func makeSweep(inputSize: Int, suffix: String) -> RecurrentSweep {
        RNNSweep(inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix, relu: relu)
    }
}
