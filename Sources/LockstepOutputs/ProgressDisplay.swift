import Foundation
import LockstepMonitor
import LockstepOperations

/// Rank 0's view of a run on its console, as `training.progress` asks: a live bar per epoch
/// and per evaluation (finished by the epoch's summary line), or a line every `log_every`
/// steps, or neither. Every step line goes to the rank's log file whatever the console shows.
/// On other ranks it does nothing.
package final class ProgressDisplay {
    package let style: ProgressStyle
    package let epochs: Int
    package let totalSteps: Int
    package let globalBatch: Int
    private let console: Console
    /// Where lines go (rank 0's `say`: the console, or what a library user passed to `Trainer`).
    private let say: (String) -> Void
    private let active: Bool
    private let bars: Bool
    private var epochStart = Date()
    private var epochSteps = 0
    /// The epoch's first step in this invocation, counted in the epoch (above 1 after a resume).
    private var firstInEpoch = 1
    /// Where this invocation started, and when its first step began (for the run's ETA).
    package let startStep: Int
    private var invocationStart: Date?

    package init(style: ProgressStyle, epochs: Int, rank: Int, totalSteps: Int, startStep: Int, globalBatch: Int, say: @escaping (String) -> Void,
         console: Console = .shared, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.say = say
        self.style = style
        self.epochs = epochs
        self.totalSteps = totalSteps
        self.globalBatch = globalBatch
        self.console = console
        active = rank == 0
        self.startStep = startStep
        let terminal: Terminal? = switch style {
        case .auto: Terminal.forStandardOutput(environment: environment)
        case .bar: Terminal.forStandardOutput(environment: environment) ?? Terminal.assumed(environment: environment)
        case .lines, .none: nil
        }
        bars = active && terminal != nil
        if active { console.drawBars(on: terminal, columns: { Terminal.forStandardOutput(environment: environment)?.columns }) }
    }

    package func startEpoch() {
        epochStart = Date()
        epochSteps = 0
        firstInEpoch = 1
        if invocationStart == nil { invocationStart = epochStart }
    }

    /// After each step: redraws the bar (at most ten times a second) with rank 0's running
    /// loss and accuracy over the epoch so far.
    package func stepped(epoch: Int, step: Int, stepsPerEpoch: Int, running: MetricTotals, learningRate: Double) {
        epochSteps += 1
        guard bars else { return }
        let stepsLeft = totalSteps - step
        let elapsed = Date().timeIntervalSince(epochStart)
        let runElapsed = Date().timeIntervalSince(invocationStart ?? epochStart)
        let inEpoch = (step - 1) % stepsPerEpoch + 1
        if epochSteps == 1 { firstInEpoch = inEpoch }
        let stepsThisEpoch = min(stepsPerEpoch, inEpoch + stepsLeft)
        console.show(Progress(title: "epoch \(epoch + 1)/\(epochs)", done: inEpoch, total: stepsThisEpoch, elapsed: elapsed,
                              runRemaining: runElapsed / Double(step - startStep) * Double(stepsLeft),
                              samplesPerSecond: Double(epochSteps * globalBatch) / max(elapsed, 1e-9),
                              loss: running.samples > 0 ? running.meanLoss : nil, accuracy: running.samples > 0 ? running.accuracy : nil,
                              learningRate: learningRate, doneSinceStart: epochSteps), force: inEpoch == stepsThisEpoch)
    }

    /// A step line (every `log_every` steps): on the console with `lines`, else in the log only.
    package func stepLine(_ line: String) {
        guard active else { return }
        if style == .lines || (style == .auto && !bars) { say(line) } else { console.logOnly(line) }
    }

    /// Ends the epoch's bar with its summary (over all ranks), when bars are drawn.
    package func endEpoch(_ epoch: Int, totals: MetricTotals, seconds: Double) {
        guard bars else { return }
        let steps = firstInEpoch > 1 ? "steps \(firstInEpoch)–\(firstInEpoch + epochSteps - 1) (resumed)" : "\(epochSteps) steps"
        console.endBar(with: String(format: "epoch %d/%d  %@  loss %.4f", epoch + 1, epochs, steps, totals.meanLoss)
                       + (totals.accuracy.map { String(format: "  acc %.2f%%", 100 * $0) } ?? "")
                       + String(format: "  %.0f samples/s  %@", totals.samples / max(seconds, 1e-9), ProgressBar.clock(seconds)))
    }

    /// The evaluation's bar: batches of rank 0's share done, and its running loss and accuracy.
    package func evaluating(epoch: Int, done: Int, of total: Int, running: MetricTotals, since start: Date) {
        guard bars else { return }
        let elapsed = Date().timeIntervalSince(start)
        console.show(Progress(title: "epoch \(epoch + 1)/\(epochs) test", done: done, total: total, elapsed: elapsed,
                              samplesPerSecond: running.samples / max(elapsed, 1e-9),
                              loss: running.samples > 0 ? running.meanLoss : nil, accuracy: running.accuracy), force: done == total)
    }

    /// Erases the evaluation's bar (its result follows as a line).
    package func endEvaluation() {
        if bars { console.endBar(with: nil) }
    }
}
