import LockstepTensor

/// What `LSTM` and `GRU` share as layers: one layer, one direction, batch first; the input
/// x [N, T, I] and the output, every step's hidden state [N, T, H] (`returnSequences`) or the
/// last one [N, H]; PyTorch's parameters `weight_ih_l0` [G·H, I], `weight_hh_l0` [G·H, H],
/// `bias_ih_l0` and `bias_hh_l0` [G·H] for G gates, drawn U(−1/√H, 1/√H). Subclasses
/// implement the cell's forward and backward through time (with `Recurrence`'s helpers).
public class RecurrentLayer: Layer {
    public var kind: String { preconditionFailure("RecurrentLayer is abstract: use LSTM or GRU") }
    public let hiddenSize: Int
    public let returnSequences: Bool
    /// Gates per hidden unit: 4 (LSTM), 3 (GRU).
    let gatesPerUnit: Int
    public private(set) var weightIH: Parameter!
    public private(set) var weightHH: Parameter!
    public private(set) var biasIH: Parameter!
    public private(set) var biasHH: Parameter!
    var inputSize = 0
    /// The last forward's input.
    var input: Tensor?
    let output = Tensor(shape: [0])
    let inputGradient = Tensor(shape: [0])

    init(hiddenSize: Int, returnSequences: Bool, gatesPerUnit: Int) {
        precondition(hiddenSize > 0, "a recurrent layer's hiddenSize must be positive, got \(hiddenSize)")
        self.hiddenSize = hiddenSize
        self.returnSequences = returnSequences
        self.gatesPerUnit = gatesPerUnit
    }

    public var parameters: [Parameter] { weightIH == nil ? [] : [weightIH, weightHH, biasIH, biasHH] }

    public func build(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError.shape(self, expected: "[time, features]", got: inputShape)
        }
        inputSize = inputShape[1]
        (weightIH, weightHH, biasIH, biasHH) = Recurrence.parameters(gates: gatesPerUnit * hiddenSize, inputs: inputSize,
                                                                     hidden: hiddenSize)
        return returnSequences ? [inputShape[0], hiddenSize] : [hiddenSize]
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        preconditionFailure("\(kind) must implement forward")
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        preconditionFailure("\(kind) must implement backward")
    }

    /// Gives `buffer` `count` elements (contents undefined when it changes size).
    func resize(_ buffer: inout [Float], _ count: Int) {
        if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
    }
}
