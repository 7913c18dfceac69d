import LockstepTensor

/// One layer of a recurrent network run in one direction over a whole sequence: x [N, T, I]
/// in, every step's hidden state [N, T, H] out, h_0 = 0. `RecurrentLayer` stacks sweeps into
/// layers and directions (feeding a reverse sweep its input reversed in time); subclasses
/// (`LSTMSweep`, `GRUSweep`, `RNNSweep`) implement the cell's forward and its
/// backpropagation through time with `Recurrence`'s helpers.
///
/// Parameters, PyTorch's names and layouts for G gates per unit: `weight_ih_lK[_reverse]`
/// [G·H, I], `weight_hh_lK…` [G·H, H], `bias_ih_lK…` and `bias_hh_lK…` [G·H], drawn
/// U(−1/√H, 1/√H).
class RecurrentSweep {
    let hiddenSize: Int
    let inputSize: Int
    let weightIH: Parameter
    let weightHH: Parameter
    let biasIH: Parameter
    let biasHH: Parameter
    /// The last forward's input.
    var input: Tensor?
    let output = Tensor(shape: [0])
    let inputGradient = Tensor(shape: [0])

    /// `suffix` names the layer and direction: "l0", "l1_reverse", ….
    init(inputSize: Int, hiddenSize: Int, gatesPerUnit: Int, suffix: String) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let gates = gatesPerUnit * hiddenSize, bound = 1 / Float(hiddenSize).squareRoot()
        weightIH = Parameter(name: "weight_ih_\(suffix)", shape: [gates, inputSize], initializer: .uniform(bound: bound))
        weightHH = Parameter(name: "weight_hh_\(suffix)", shape: [gates, hiddenSize], initializer: .uniform(bound: bound))
        biasIH = Parameter(name: "bias_ih_\(suffix)", shape: [gates], initializer: .uniform(bound: bound))
        biasHH = Parameter(name: "bias_hh_\(suffix)", shape: [gates], initializer: .uniform(bound: bound))
    }

    var parameters: [Parameter] { [weightIH, weightHH, biasIH, biasHH] }

    /// x [N, T, I] → y [N, T, H].
    func forward(_ input: Tensor) -> Tensor { preconditionFailure("a RecurrentSweep subclass implements forward") }

    /// dy [N, T, H] → dx [N, T, I] (nil unless `needsInputGradient`); writes the parameters' gradients.
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        preconditionFailure("a RecurrentSweep subclass implements backward")
    }
}
