import Foundation
import LockstepHDF5
import LockstepMonitor

/// What rank 0 writes into the run directory: the resolved recipe, `metrics.csv` (one row
/// per epoch), `steps.csv` (one row per logged step), the same numbers as TensorBoard
/// scalars in `tensorboard/`, and `summary.json` at the end.
final class RunRecorder {
    let directory: String
    private var rows: [String] = []

    static let header = "epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,samples_per_sec,elapsed_s,skipped_steps"
    static let stepsHeader = "step,epoch,loss,accuracy,lr,samples_per_sec,"
        + PhaseTimes().secondsPerStep.map { "\($0.0)_ms" }.joined(separator: ",")
    private let steps: FileHandle
    static let evaluationsHeader = "step,epoch,test_loss,test_accuracy,lr"
    /// evaluations.csv's rows (with `training.eval_every_steps`; nil without).
    private var evaluations: [String]?
    /// TensorBoard's event file of this invocation (nil with `training.tensorboard: false`).
    private let events: EventWriter?

    /// `keepRowsThrough`, `keepStepsThrough`: on resume, the epochs and steps already recorded
    /// in an existing metrics.csv and steps.csv (later rows are dropped: they will be recorded again).
    init(directory: String, resolvedRecipe: String, keepRowsThrough epochs: Int = 0, keepStepsThrough step: Int = 0,
         tensorboard: Bool = false, evaluationsCSV: Bool = false) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RecipeError("\(directory): cannot create the run directory (\(error.localizedDescription))")
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
        guard let handle = FileHandle(forWritingAtPath: path) else { throw RecipeError("\(path): cannot open for writing") }
        try handle.seekToEnd()
        return handle
    }

    /// Appends a row to steps.csv.
    func appendStep(_ s: StepMetrics) throws {
        let values = [Double(s.epoch), s.loss, s.accuracy ?? .nan, s.learningRate, s.samplesPerSecond] + s.phaseMilliseconds
        let text = ([String(s.step)] + values.map { $0.isNaN ? "" : String(format: "%.6g", $0) }).joined(separator: ",") + "\n"
        try steps.write(contentsOf: Data(text.utf8))
        let phases = zip(PhaseTimes().secondsPerStep.map { "time/\($0.0)_ms" }, s.phaseMilliseconds).map { (tag: $0.0, value: $0.1) }
        try events?.scalars([("train/loss", s.loss), ("train/accuracy", s.accuracy ?? .nan), ("train/learning_rate", s.learningRate),
                             ("train/samples_per_sec", s.samplesPerSecond)] + phases, step: s.step)
    }

    func appendEpoch(_ e: EpochMetrics) throws {
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
    func appendEvaluation(step: Int, epoch: Int, _ e: Evaluation, learningRate: Double, withinEpoch: Bool) throws {
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
    func writeConfusion(_ e: Evaluation) throws {
        guard let m = e.confusion else { return }
        try AtomicFile.write(Array(m.csv(classNames: e.classNames).utf8), to: directory + "/confusion.csv")
        try AtomicFile.write(Array(m.perClassCSV(classNames: e.classNames).utf8), to: directory + "/per_class.csv")
    }

    func writeSummary(_ s: RunSummary) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(s)) + [0x0A], to: directory + "/summary.json")
    }
}

/// A logged step's numbers, as `steps.csv` rows: the means over the steps since the last one.
struct StepMetrics {
    var step: Int
    /// 1-based, as printed.
    var epoch: Int
    var loss: Double
    var accuracy: Double?
    var learningRate: Double
    var samplesPerSecond: Double
    /// Per phase (PhaseTimes order), milliseconds per step.
    var phaseMilliseconds: [Double]
}

/// One epoch's numbers, as `metrics.csv` rows.
struct EpochMetrics {
    var epoch: Int
    var step: Int
    var trainLoss: Double
    var trainAccuracy: Double?
    var testLoss: Double?
    var testAccuracy: Double?
    var samplesPerSecond: Double
    var elapsed: Double
    /// Steps of the epoch dropped for non-finite gradients.
    var skippedSteps: Int
}

/// The end-of-run record scripts read (`summary.json`).
public struct RunSummary: Codable, Sendable {
    public var name: String
    public var worldSize: Int
    public var batchPerRank: Int
    public var globalBatch: Int
    public var epochs: Int
    public var steps: Int
    public var parameterCount: Int
    /// Mean training loss of the last epoch run (nil when this invocation ran no step).
    public var finalTrainLoss: Double?
    public var finalTrainAccuracy: Double?
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var samplesPerSec: Double
    public var wallTimeS: Double
    /// Steps dropped for non-finite gradients (`training.on_nonfinite: skip`).
    public var skippedSteps: Int
    /// The last evaluation's accuracy per class name, and its confusion matrix (rows: true class,
    /// columns: predicted, in `classNames` order).
    public var perClassAccuracy: [String: Double]?
    public var classNames: [String]?
    public var confusionMatrix: [[Int]]?
    /// Micro-batches per step (`training.accumulate_steps`).
    public var accumulateSteps: Int = 1
    /// Why early stopping ended the run (nil: it ran to its end).
    public var earlyStopping: String?

    enum CodingKeys: String, CodingKey {
        case name
        case worldSize = "world_size"
        case batchPerRank = "batch_per_rank"
        case globalBatch = "global_batch"
        case epochs, steps
        case parameterCount = "parameter_count"
        case finalTrainLoss = "final_train_loss"
        case finalTrainAccuracy = "final_train_accuracy"
        case testLoss = "test_loss"
        case testAccuracy = "test_accuracy"
        case samplesPerSec = "samples_per_sec"
        case wallTimeS = "wall_time_s"
        case skippedSteps = "skipped_steps"
        case perClassAccuracy = "per_class_accuracy"
        case classNames = "class_names"
        case confusionMatrix = "confusion_matrix"
        case accumulateSteps = "accumulate_steps"
        case earlyStopping = "early_stopping"
    }
}
