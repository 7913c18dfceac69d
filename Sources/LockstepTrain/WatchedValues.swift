import LockstepOutputs

/// What one evaluation point knows: the test metrics (when evaluated) and the training ones
/// (at epoch ends).
struct WatchedValues {
    var values: [MetricWatch.Metric: Double] = [:]

    init(evaluation: Evaluation?, epoch totals: MetricTotals?) {
        if let evaluation { values[.testLoss] = evaluation.loss; values[.testAccuracy] = evaluation.accuracy }
        if let totals, totals.samples > 0 { values[.trainLoss] = totals.meanLoss; values[.trainAccuracy] = totals.accuracy }
    }
}
