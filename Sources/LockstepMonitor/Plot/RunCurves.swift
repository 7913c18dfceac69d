import Foundation

/// One line of a plot: (x, y) points of one run's training or test values.
public struct Series: Sendable {
    public var run: String
    /// "train" or "test".
    public var split: String
    public var points: [(x: Double, y: Double)]

    public init(run: String, split: String, points: [(x: Double, y: Double)]) {
        self.run = run
        self.split = split
        self.points = points
    }
}

/// What a run directory recorded, as plot series: `steps.csv` (a row per logged step) and
/// `metrics.csv` (a row per epoch, with the test set's values).
public enum RunCurves {
    public enum XAxis: String, CaseIterable, Sendable { case step, epoch }

    /// The training and test series of `metric` in the run directory `run`: by step, training
    /// values from steps.csv and test values from metrics.csv at each epoch's last step; by
    /// epoch, both from metrics.csv (`train_M`/`test_M`, or `M`).
    public static func series(of metric: String, in run: String, by x: XAxis, name: String? = nil) throws -> [Series] {
        let label = name ?? URL(fileURLWithPath: run).lastPathComponent
        let epochs = try table(run + "/metrics.csv", required: x == .epoch)
        var result: [Series] = []
        switch x {
        case .step:
            let steps = try table(run + "/steps.csv", required: true)
            if steps.rows.isEmpty { throw MonitorError("\(run): no steps logged yet (steps.csv has no rows)") }
            if let train = steps.points(x: "step", y: metric) { result.append(Series(run: label, split: "train", points: train)) }
            if let test = epochs.points(x: "step", y: "test_" + metric) { result.append(Series(run: label, split: "test", points: test)) }
            if result.isEmpty { throw unknown(metric, run, columns: steps.columns + epochs.columns.filter { $0.hasPrefix("test_") }) }
        case .epoch:
            if let train = epochs.points(x: "epoch", y: "train_" + metric) ?? epochs.points(x: "epoch", y: metric) {
                result.append(Series(run: label, split: "train", points: train))
            }
            if let test = epochs.points(x: "epoch", y: "test_" + metric) { result.append(Series(run: label, split: "test", points: test)) }
            if result.isEmpty {
                if (try? table(run + "/steps.csv", required: false))?.columns.contains(metric) == true {
                    throw MonitorError("\(run): '\(metric)' is recorded per logged step, not per epoch: use --by step")
                }
                if epochs.rows.isEmpty { throw MonitorError("\(run): no epoch finished yet (metrics.csv has no rows); --by step shows the steps") }
                throw unknown(metric, run, columns: epochs.columns)
            }
        }
        return result
    }

    private static func unknown(_ metric: String, _ run: String, columns: [String]) -> MonitorError {
        let names = Set(columns.map { $0.replacingOccurrences(of: "train_", with: "").replacingOccurrences(of: "test_", with: "") })
            .subtracting(["step", "epoch"]).sorted()
        return MonitorError("\(run): no '\(metric)' recorded; metrics there: \(names.joined(separator: ", "))")
    }

    /// A CSV file with a header row; an absent file is an empty table unless `required`.
    static func table(_ path: String, required: Bool) throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            if required { throw MonitorError("\(path): not found (is this a Lockstep run directory?)") }
            return CSVTable(columns: [], rows: [])
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return CSVTable(columns: [], rows: []) }
        return CSVTable(columns: header, rows: Array(lines.dropFirst()))
    }
}

/// A CSV file's columns and rows, as text.
struct CSVTable {
    var columns: [String]
    var rows: [[String]]

    /// The (x, y) pairs of two columns where both are numbers (nil when a column is absent or
    /// holds no number).
    func points(x: String, y: String) -> [(x: Double, y: Double)]? {
        guard let i = columns.firstIndex(of: x), let j = columns.firstIndex(of: y) else { return nil }
        let points = rows.compactMap { row -> (x: Double, y: Double)? in
            guard row.count > max(i, j), let a = Double(row[i]), let b = Double(row[j]), a.isFinite, b.isFinite else { return nil }
            return (a, b)
        }
        return points.isEmpty ? nil : points
    }
}
