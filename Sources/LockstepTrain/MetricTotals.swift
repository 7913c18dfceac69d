import LockstepDistributed
import LockstepNN
import LockstepTensor

/// Sums behind a loss and an accuracy: Σ loss·samples, correct predictions, samples.
/// Each rank adds its batches; `summed` adds the ranks' together. A model that does not
/// classify (an autoencoder) has no accuracy: `classifies` false, `accuracy` nil.
struct MetricTotals {
    var lossSum = 0.0
    var correct = 0.0
    var samples = 0.0
    var classifies = true

    /// Adds one batch: its mean loss `loss`, and the predictions in `output` ([N, K]) against `labels`.
    mutating func add(loss: Double, output: Tensor, labels: [Int32]) {
        let n = Double(labels.count)
        lossSum += loss * n
        if classifies { correct += Double(Self.correctCount(output, labels)) }
        samples += n
    }

    static func += (a: inout MetricTotals, b: MetricTotals) {
        a.lossSum += b.lossSum
        a.correct += b.correct
        a.samples += b.samples
    }

    /// These totals summed over every rank (a collective call).
    func summed(over communicator: any Communicator) throws -> MetricTotals {
        let s = try communicator.sum([lossSum, correct, samples])
        return MetricTotals(lossSum: s[0], correct: s[1], samples: s[2], classifies: classifies)
    }

    var meanLoss: Double { lossSum / max(samples, 1) }
    var accuracy: Double? { classifies ? correct / max(samples, 1) : nil }

    /// Rows of `output` whose largest entry is at the label.
    static func correctCount(_ output: Tensor, _ labels: [Int32]) -> Int {
        let n = output.shape[0], k = output.count / max(n, 1)
        let predicted = VectorOps.argmaxRows(output.data, rows: n, cols: k)
        return zip(predicted, labels).reduce(0) { $0 + ($1.0 == Int($1.1) ? 1 : 0) }
    }
}
