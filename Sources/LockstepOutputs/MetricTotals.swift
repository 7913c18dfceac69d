import LockstepDistributed
import LockstepNN
import LockstepOperations
import LockstepTensor

/// Sums behind a loss and an accuracy: Σ loss·samples, correct predictions, samples.
/// Each rank adds its batches; `summed` adds the ranks' together. A model that does not
/// classify (an autoencoder) has no accuracy: `classifies` false, `accuracy` nil.
package struct MetricTotals {
    package var lossSum = 0.0
    package var correct = 0.0
    package var samples = 0.0
    package var classifies = true

    package init(classifies: Bool = true) { self.classifies = classifies }

    /// Adds one batch: its mean loss `loss`, and the predictions in `output` ([N, K]) against `labels`.
    package mutating func add(loss: Double, output: Tensor, labels: [Int32]) {
        let n = Double(labels.count)
        lossSum += loss * n
        if classifies { correct += Double(Self.correctCount(output, labels)) }
        samples += n
    }

    package static func += (a: inout MetricTotals, b: MetricTotals) {
        a.lossSum += b.lossSum
        a.correct += b.correct
        a.samples += b.samples
    }

    /// These totals summed over every rank (a collective call).
    package func summed(over communicator: any Communicator) throws -> MetricTotals {
        let s = try communicator.sum([lossSum, correct, samples])
        var sums = MetricTotals(classifies: classifies)
        (sums.lossSum, sums.correct, sums.samples) = (s[0], s[1], s[2])
        return sums
    }

    package var meanLoss: Double { lossSum / max(samples, 1) }
    package var accuracy: Double? { classifies ? correct / max(samples, 1) : nil }

    /// Rows of `output` whose largest entry is at the label.
    package static func correctCount(_ output: Tensor, _ labels: [Int32]) -> Int {
        let n = output.shape[0], k = output.count / max(n, 1)
        let predicted = VectorOps.argmaxRows(output.data, rows: n, cols: k)
        return zip(predicted, labels).reduce(0) { $0 + ($1.0 == Int($1.1) ? 1 : 0) }
    }
}
