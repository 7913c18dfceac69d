import LockstepNN
import LockstepTensor

/// A recurrent classifier: the input read as a sequence (images row by row, `ImageRows`), one
/// LSTM or GRU layer whose last hidden state feeds a Dense layer of logits.
///
/// Parameter names follow `rnn.weight_ih_l0` … and `fc.weight`, `fc.bias`: a PyTorch module
/// with attributes `rnn` (nn.LSTM/nn.GRU, batch_first) and `fc` (nn.Linear) loads as it is.
public enum RecurrentClassifier {
    public static func make(cell: String, hidden: [Int], classes: Int) throws -> Sequential {
        guard hidden.count == 1, hidden[0] > 0 else {
            throw LayerError(kind: cell.uppercased(), message: "model.hidden must be one positive width (stacked layers are not there yet), got \(hidden)")
        }
        let rnn: any Layer = cell == "gru" ? GRU(hiddenSize: hidden[0], returnSequences: false)
                                           : LSTM(hiddenSize: hidden[0], returnSequences: false)
        return Sequential(named: [("rows", ImageRows()), ("rnn", rnn),
                                  ("fc", Dense(outputSize: classes, weightInitializer: .uniform(bound: 1 / Float(hidden[0]).squareRoot())))])
    }
}
