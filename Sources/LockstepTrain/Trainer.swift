import Foundation
import LockstepDistributed
import LockstepModels
import LockstepMonitor
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTimeline

/// Synchronous data-parallel training: every rank runs this loop in lockstep.
///
/// Per step: read this rank's slice of the global batch → forward → loss → backward, with
/// gradient buckets allreduced as they complete → average → identical optimizer step on every
/// rank. Rank 0 prints progress and writes the run directory; every rank evaluates its share
/// of the test set. Any error is thrown to the caller, which reports it with the rank and aborts.
/// `TrainingRun` holds one invocation's state; `Evaluator` the evaluation; `CheckpointStore`
/// the checkpoints.
///
/// What it trains are ``TrainingParts``: given as they are (`init(parts:…)`), or made on every
/// rank when the run starts (`init(recipe:…)` opens the recipe's data then).
public final class Trainer {
    /// Makes the run's parts when `run` starts (a collective call): told the start-up times to
    /// add its phases to, and whether the run resumes from a checkpoint.
    public typealias Assembly = (_ startup: inout StartupTimes, _ resuming: Bool) throws -> TrainingParts

    public let communicator: any Communicator
    public let outputDirectory: String
    /// Where rank 0's progress lines go.
    private let print: (String) -> Void

    /// The model trained by the last `run`.
    public private(set) var model: Model!
    /// When set, every rank records a timeline of the training steps, written at the end as
    /// one Chrome trace (chrome://tracing, ui.perfetto.dev) to this path.
    public var timelinePath: String?
    /// Faults to suffer on purpose (tests of recovery); none by default.
    public var faults = FaultInjection()
    /// Where the training steps spent their time on this rank (after `run`).
    public private(set) var phaseTimes = PhaseTimes()
    /// Where start-up went on this rank, to the end of the first step (after `run`).
    public private(set) var startup: StartupTimes?

    private let assemble: Assembly

    /// A trainer whose parts `assemble` makes on every rank when `run` starts; its outputs go
    /// to `outputDirectory`; `print` takes rank 0's progress lines.
    public init(communicator: any Communicator, outputDirectory: String,
                print: @escaping (String) -> Void = { Console.shared.line($0) }, assemble: @escaping Assembly) {
        self.communicator = communicator
        self.outputDirectory = outputDirectory
        self.print = print
        self.assemble = assemble
    }

    /// A trainer of `parts` (the same on every rank), writing its run directory to `outputDirectory`.
    public convenience init(parts: TrainingParts, communicator: any Communicator, outputDirectory: String,
                            print: @escaping (String) -> Void = { Console.shared.line($0) }) {
        self.init(communicator: communicator, outputDirectory: outputDirectory, print: print) { _, _ in parts }
    }

    private func say(_ line: String) { if communicator.rank == 0 { print(line) } }

    /// Runs the recipe to the end (or until a signal) and returns the summary (the same on
    /// every rank). With `resume`, continues from that checkpoint ("auto": the latest, if any).
    @discardableResult
    public func run(resume: String? = nil) throws -> RunSummary {
        let started = Date()
        var startup = StartupTimes(now: started)
        let parts = try assemble(&startup, resume != nil)
        let run = try TrainingRun(parts: parts, communicator: communicator, outputDirectory: outputDirectory,
                                  resume: resume, faults: faults, started: started, startup: startup, say: say)
        model = run.model
        defer { run.watchdog?.stop() }
        let status = try recordStart(run)
        do {
            let summary = try train(run)
            try status.map { try $0.with(straggler: run.straggler).ended(by: nil).write(to: outputDirectory) }
            return summary
        } catch {
            try? status?.with(straggler: run.straggler).ended(by: error).write(to: outputDirectory)
            throw error
        }
    }

    /// Rank 0 marks the run directory as running (and the watchdog marks it stalled if it
    /// fires); returns the status to end, on rank 0.
    private func recordStart(_ run: TrainingRun) throws -> RunStatus? {
        guard communicator.rank == 0 else { return nil }
        let status = RunStatus(state: .running, host: communicator.hostname, worldSize: communicator.size,
                               started: Date().timeIntervalSince1970)
        try status.write(to: outputDirectory)
        let directory = outputDirectory
        run.watchdog?.onStall = { try? status.ended(.stalled, exitCode: StallWatchdog.exitCode).write(to: directory) }
        return status
    }

    /// The epochs, the timeline, and the end of the run.
    private func train(_ run: TrainingRun) throws -> RunSummary {
        let timeline = try timelinePath.map { _ in try TraceFile.start(communicator) }
        try run.runEpochs()
        phaseTimes = run.stepper.times
        startup = run.startup
        if let timeline, let timelinePath {
            try TraceFile.finish(timeline, communicator, to: timelinePath)
            say("lockstep: timeline written to \(timelinePath)")
        }
        return try finish(run)
    }

    /// The end of a run: per-phase times, rank 0's final weights and summary, a last barrier.
    private func finish(_ run: TrainingRun) throws -> RunSummary {
        if phaseTimes.steps > 0 {
            let perStep = phaseTimes.secondsPerStep.map { "\($0.0) " + String(format: "%.2f", 1000 * $0.1) }
            say("lockstep: ms per step on rank 0: " + perStep.joined(separator: ", "))
        }
        let summary = run.summary()
        run.watchdog?.mark("writing model.h5 and the summary (rank 0)", step: run.step)
        if let recorder = run.recorder {
            try ModelWeights.save(run.model, to: outputDirectory + "/model.h5",
                                  attributes: ["recipe": run.parts.description, "step": String(run.step)])
            try recorder.writeSummary(summary)
        }
        if let acc = summary.testAccuracy {
            say(String(format: "final test accuracy %.2f%%  (%d steps, %.0f samples/s, %.1f s)", 100 * acc, run.step,
                       summary.samplesPerSec, summary.wallTimeS))
        } else if run.parts.targets == .inputs, let testLoss = summary.testLoss {
            say(String(format: "final test reconstruction loss %.4f  (%d steps, %.0f samples/s, %.1f s)", testLoss, run.step,
                       summary.samplesPerSec, summary.wallTimeS))
        }
        run.watchdog?.waiting("waiting at the final barrier", step: run.step)
        try communicator.barrier()
        return summary
    }
}
