import Foundation
import LockstepDistributed
import LockstepOperations
import LockstepTensor

/// Counts of (true class, predicted class) over an evaluation: row = label, column = argmax of
/// the model's output. Per-class accuracy (recall) is a row's diagonal over its total.
public struct ConfusionMatrix: Sendable, Equatable {
    public let classes: Int
    /// Row-major [classes × classes].
    public private(set) var counts: [Int]

    public init(classes: Int, counts: [Int]? = nil) {
        self.classes = classes
        self.counts = counts ?? [Int](repeating: 0, count: classes * classes)
    }

    public subscript(label: Int, predicted: Int) -> Int { counts[label * classes + predicted] }

    /// Adds a batch: outputs [N, K] against labels.
    package mutating func add(_ output: Tensor, labels: [Int32]) {
        let n = output.shape[0]
        let predicted = VectorOps.argmaxRows(output.data, rows: n, cols: output.count / max(n, 1))
        for (p, label) in zip(predicted, labels) where Int(label) < classes && p < classes { counts[Int(label) * classes + p] += 1 }
    }

    /// The matrix summed over every rank (a collective call).
    package func summed(over communicator: any Communicator) throws -> ConfusionMatrix {
        ConfusionMatrix(classes: classes, counts: try communicator.sum(counts.map(Double.init)).map { Int($0.rounded()) })
    }

    /// Samples of each class.
    public var support: [Int] { (0..<classes).map { c in (0..<classes).reduce(0) { $0 + self[c, $1] } } }

    /// Each class's share of its samples predicted right (nil for a class with no sample).
    public var perClassAccuracy: [Double?] {
        zip(0..<classes, support).map { c, n in n > 0 ? Double(self[c, c]) / Double(n) : nil }
    }

    /// CSV: a header of predicted class names, then a row per true class.
    public func csv(classNames: [String]) -> String {
        let names = (0..<classes).map { CSVText.field($0 < classNames.count ? classNames[$0] : String($0)) }
        var lines = ["true \\ predicted," + names.joined(separator: ",")]
        for c in 0..<classes { lines.append(names[c] + "," + (0..<classes).map { String(self[c, $0]) }.joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// CSV: class, samples, correct, accuracy.
    public func perClassCSV(classNames: [String]) -> String {
        var lines = ["class,samples,correct,accuracy"]
        for (c, n) in support.enumerated() {
            let name = CSVText.field(c < classNames.count ? classNames[c] : String(c))
            lines.append("\(name),\(n),\(self[c, c]),\(n > 0 ? String(format: "%.6f", Double(self[c, c]) / Double(n)) : "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
