import LockstepNN
import LockstepTensor

/// A recurrent classifier: the input read as a sequence (images row by row through
/// `ImageRows`; sequence shards [T, F] as they are), a stack of LSTM, GRU or RNN layers
/// whose top layer's last states feed a Dense layer of logits.
///
/// Parameter names follow `rnn.weight_ih_l0` … and `fc.weight`, `fc.bias`: a PyTorch module
/// with attributes `rnn` (nn.LSTM/nn.GRU/nn.RNN, batch_first) and `fc` (nn.Linear) loads as it is.
public enum RecurrentClassifier {
    public static func make(cell: String, hidden: [Int], layers: Int = 1, bidirectional: Bool = false, dropout: Float = 0,
                            inputShape: [Int], classes: Int) throws -> Sequential {
        guard hidden.count == 1, hidden[0] > 0 else {
            throw LayerError(kind: cell.uppercased(), message: "model.hidden must be one positive width (every layer has it; model.layers stacks them), got \(hidden)")
        }
        let h = hidden[0]
        let rnn: any Layer = switch cell {
        case "gru": GRU(hiddenSize: h, layers: layers, bidirectional: bidirectional, dropout: dropout, returnSequences: false)
        case "rnn": RNN(hiddenSize: h, layers: layers, bidirectional: bidirectional, dropout: dropout, returnSequences: false)
        default: LSTM(hiddenSize: h, layers: layers, bidirectional: bidirectional, dropout: dropout, returnSequences: false)
        }
        let width = (bidirectional ? 2 : 1) * h
        let fc = Dense(outputSize: classes, weightInitializer: .uniform(bound: 1 / Float(width).squareRoot()))
        let children: [(String, any Layer)] = inputShape.count == 3 ? [("rows", ImageRows()), ("rnn", rnn), ("fc", fc)] : [("rnn", rnn), ("fc", fc)]
        return Sequential(named: children)
    }
}
