import Foundation
import LockstepHDF5
import LockstepMonitor
import LockstepOperations

/// What rank 0 writes into the run directory: the resolved recipe, `metrics.csv` (one row
/// per epoch), `steps.csv` (one row per logged step), the same numbers as TensorBoard
/// scalars in `tensorboard/`, and `summary.json` at the end.
package final class RunRecorder {
    package let directory: String
    private var rows: [String] = []

    package static let header = "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,samples_per_sec,elapsed_s,skipped_steps"
    package static let stepsHeader = "step,epoch,loss,accuracy,lr,samples_per_sec,"
        + PhaseTimes().secondsPerStep.map { "\($0.0)_ms" }.joined(separator: ",")
    private let steps: FileHandle
    package static let evaluationsHeader = "step,epoch,test_loss,test_accuracy,lr"
    /// evaluations.csv's rows (with `training.eval_every_steps`; nil without).
    private var evaluations: [String]?
    /// TensorBoard's event file of this invocation (nil with `training.tensorboard: false`).
    private let events: EventWriter?

    /// `keepRowsThrough`, `keepStepsThrough`: on resume, the epochs and steps already recorded
    /// in an existing metrics.csv and steps.csv (later rows are dropped: they will be recorded again).
    package init(directory: String, resolvedRecipe: String, keepRowsThrough epochs: Int = 0, keepStepsThrough step: Int = 0,
         tensorboard: Bool = false, evaluationsCSV: Bool = false) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunDirectoryError("\(directory): cannot create the run directory (\(error.localizedDescription))")
        }
        steps = try Self.openSteps(directory + "/steps.csv", keepingThrough: step)
        try AtomicFile.write(Array(resolvedRecipe.utf8), to: directory + "/recipe.yaml")
        events = tensorboard ? try EventWriter(directory: directory + "/tensorboard", resumedAt: step > 0 ? step : nil) : nil
        rows = Self.rows(of: directory + "/metrics.csv", through: epochs)
        try writeMetrics()
        evaluations = evaluationsCSV ? Self.rows(of: directory + "/evaluations.csv", through: step) : nil
    }

    deinit { try? steps.close() }

    /// The data rows of the CSV file at `path` whose first column (an epoch or a step) is at
    /// most `last`: what a resumed run keeps. None when `last` is 0 or the file is absent.
    private static func rows(of path: String, through last: Int) -> [String] {
        guard last > 0, let old = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: old, as: UTF8.self).split(separator: "\n").dropFirst()
            .filter { Int($0.split(separator: ",").first ?? "") ?? .max <= last }.map(String.init)
    }

    /// steps.csv with the rows up to `step` kept, open for appending.
    private static func openSteps(_ path: String, keepingThrough step: Int) throws -> FileHandle {
        let rows = [stepsHeader] + Self.rows(of: path, through: step)
        try AtomicFile.write(Array(rows.joined(separator: "\n").utf8) + [0x0A], to: path)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RunDirectoryError("\(path): cannot open for writing") }
        try handle.seekToEnd()
        return handle
    }

    /// Appends a row to steps.csv.
    package func appendStep(_ s: StepMetrics) throws {
        let values = [Double(s.epoch), s.loss, s.accuracy ?? .nan, s.learningRate, s.samplesPerSecond] + s.phaseMilliseconds
        let text = ([String(s.step)] + values.map { $0.isNaN ? "" : String(format: "%.6g", $0) }).joined(separator: ",") + "\n"
        try steps.write(contentsOf: Data(text.utf8))
        let phases = zip(PhaseTimes().secondsPerStep.map { "time/\($0.0)_ms" }, s.phaseMilliseconds).map { (tag: $0.0, value: $0.1) }
        try events?.scalars([("train/loss", s.loss), ("train/accuracy", s.accuracy ?? .nan), ("train/learning_rate", s.learningRate),
                             ("train/samples_per_sec", s.samplesPerSecond)] + phases, step: s.step)
    }

    /// TensorBoard scalars of their own (the straggler watch's), at `step`.
    package func appendScalars(_ scalars: [(String, Double)], step: Int) throws {
        try events?.scalars(scalars, step: step)
    }

    package func appendEpoch(_ e: EpochMetrics) throws {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        rows.append([String(e.epoch), String(e.step), f(e.trainLoss), f(e.trainAccuracy), f(e.testLoss), f(e.testAccuracy),
                     f(e.samplesPerSecond), f(e.elapsed), String(e.skippedSteps)].joined(separator: ","))
        try writeMetrics()
        try events?.scalars([("epoch/train_loss", e.trainLoss), ("epoch/train_accuracy", e.trainAccuracy ?? .nan),
                             ("test/loss", e.testLoss ?? .nan), ("test/accuracy", e.testAccuracy ?? .nan),
                             ("epoch/samples_per_sec", e.samplesPerSecond), ("epoch/epoch", Double(e.epoch))], step: e.step)
    }

    /// Adds a row to evaluations.csv (when kept); an evaluation within an epoch also goes to
    /// TensorBoard (the epoch's own goes with its metrics row).
    package func appendEvaluation(step: Int, epoch: Int, _ e: Evaluation, learningRate: Double, withinEpoch: Bool) throws {
        if var rows = evaluations {
            rows.append(String(format: "%d,%d,%.6g,", step, epoch, e.loss) + (e.accuracy.map { String(format: "%.6g", $0) } ?? "")
                        + String(format: ",%.6g", learningRate))
            evaluations = rows
            try AtomicFile.write(Array(([Self.evaluationsHeader] + rows).joined(separator: "\n").utf8) + [0x0A], to: directory + "/evaluations.csv")
        }
        if withinEpoch { try events?.scalars([("test/loss", e.loss), ("test/accuracy", e.accuracy ?? .nan)], step: step) }
    }

    /// Rewrites metrics.csv (atomically) with every row so far.
    private func writeMetrics() throws {
        try AtomicFile.write(Array(([Self.header] + rows).joined(separator: "\n").utf8) + [0x0A], to: directory + "/metrics.csv")
    }

    /// The evaluation's confusion matrix and per-class accuracy as CSV files in the run directory.
    package func writeConfusion(_ e: Evaluation) throws {
        guard let m = e.confusion else { return }
        try AtomicFile.write(Array(m.csv(classNames: e.classNames).utf8), to: directory + "/confusion.csv")
        try AtomicFile.write(Array(m.perClassCSV(classNames: e.classNames).utf8), to: directory + "/per_class.csv")
    }

    package func writeSummary(_ s: RunSummary) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(s)) + [0x0A], to: directory + "/summary.json")
    }
}

/// A logged step's numbers, as `steps.csv` rows: the means over the steps since the last one.
package struct StepMetrics {
    package var step: Int
    /// 1-based, as printed.
    package var epoch: Int
    package var loss: Double
    package var accuracy: Double?
    package var learningRate: Double
    package var samplesPerSecond: Double
    /// Per phase (PhaseTimes order), milliseconds per step.
    package var phaseMilliseconds: [Double]

    package init(step: Int, epoch: Int, loss: Double, accuracy: Double? = nil, learningRate: Double,
                 samplesPerSecond: Double, phaseMilliseconds: [Double]) {
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
        self.learningRate = learningRate
        self.samplesPerSecond = samplesPerSecond
        self.phaseMilliseconds = phaseMilliseconds
    }
}

/// One epoch's numbers, as `metrics.csv` rows.
package struct EpochMetrics {
    package var epoch: Int
    package var step: Int
    package var trainLoss: Double
    package var trainAccuracy: Double?
    package var testLoss: Double?
    package var testAccuracy: Double?
    package var samplesPerSecond: Double
    package var elapsed: Double
    /// Steps of the epoch dropped for non-finite gradients.
    package var skippedSteps: Int

    package init(epoch: Int, step: Int, trainLoss: Double, trainAccuracy: Double? = nil, testLoss: Double? = nil,
                 testAccuracy: Double? = nil, samplesPerSecond: Double, elapsed: Double, skippedSteps: Int) {
        self.epoch = epoch
        self.step = step
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.samplesPerSecond = samplesPerSecond
        self.elapsed = elapsed
        self.skippedSteps = skippedSteps
    }
}

