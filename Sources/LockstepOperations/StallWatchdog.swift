import Foundation
import LockstepDistributed
import LockstepHDF5
import LockstepMonitor
import LockstepTimeline
import Synchronization

/// Ends a job that stopped making progress. One stopped or hung rank (a frozen node, a file
/// system that no longer answers) leaves every other rank waiting in a collective forever,
/// burning the allocation until the wall-clock limit.
///
/// The training thread marks each phase it enters (`mark`: a lock and a clock read). A thread
/// looks once a second; when this rank has spent `timeout` seconds in one phase, it writes a
/// report (rank, host, step, phase) into `reportDirectory`, waits a few seconds for the other
/// ranks' reports (ranks waiting on the same collective stall at about the same time), and
/// ends the process with `exitCode`. The lowest rank that reported prints which ranks did not
/// report — the ones holding the others up — with their hosts, and what every other rank was
/// waiting for. The directory must be one every rank sees (the run directory is: checkpoints
/// need that too). Open MPI's launcher then ends the remaining processes.
public final class StallWatchdog: Sendable {
    /// Exit code of a rank the watchdog ended.
    public static let exitCode = ExitCode.stalled

    package struct Mark: Sendable {
        var phase: StaticString
        var step: Int
        var since: UInt64
        /// In a collective, waiting for other ranks (else working on its own: computing,
        /// reading data, writing a file).
        var waiting: Bool
    }

    public let timeout: Double
    public let rank: Int
    /// Every rank's host, in rank order.
    public let hosts: [String]
    public let reportDirectory: String
    private let current: Mutex<Mark>
    private let finished = Atomic<Bool>(false)
    private let stallHook = Mutex<(@Sendable () -> Void)?>(nil)

    /// Called on the watchdog's thread just before it ends the process (rank 0 records the
    /// run as stalled).
    public var onStall: (@Sendable () -> Void)? {
        get { stallHook.withLock { $0 } }
        set { stallHook.withLock { $0 = newValue } }
    }

    public init(timeout: Double, rank: Int, hosts: [String], reportDirectory: String) {
        precondition(timeout > 0, "a watchdog needs a positive timeout")
        self.timeout = timeout
        self.rank = rank
        self.hosts = hosts
        self.reportDirectory = reportDirectory
        current = Mutex(Mark(phase: "starting", step: 0, since: Timeline.now(), waiting: false))
    }

    /// A watchdog for `communicator`'s ranks, not started (a collective call: every rank's host
    /// name is gathered, so the lowest rank can name where the ranks that hold the job up run).
    public convenience init(timeout: Double, communicator: any Communicator, reportDirectory: String) throws {
        self.init(timeout: timeout, rank: communicator.rank, hosts: try communicator.allgather(communicator.hostname),
                  reportDirectory: reportDirectory)
    }

    /// Notes that this rank started working on its own on `phase` (a fixed description)
    /// during `step`: computing, reading data, writing a file.
    @inline(__always)
    public func mark(_ phase: StaticString, step: Int) { set(Mark(phase: phase, step: step, since: Timeline.now(), waiting: false)) }

    /// Notes that this rank entered a collective, `phase`, where it waits for the others.
    @inline(__always)
    public func waiting(_ phase: StaticString, step: Int) { set(Mark(phase: phase, step: step, since: Timeline.now(), waiting: true)) }

    @inline(__always)
    private func set(_ mark: Mark) { current.withLock { $0 = mark } }

    /// Starts watching on a thread of its own.
    public func start() {
        let thread = Thread { [self] in watch() }
        thread.name = "lockstep-watchdog"
        thread.start()
    }

    /// Stops watching (at the end of the run).
    public func stop() { finished.store(true, ordering: .relaxed) }

    private func watch() {
        let interval = min(1, timeout / 10)
        while !finished.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: interval)
            let mark = current.withLock { $0 }
            let stuck = Double(Timeline.now() &- mark.since) / 1e9
            if stuck > timeout && !finished.load(ordering: .relaxed) { fire(mark, stuck: stuck) }
        }
    }

    /// Reports this rank, gathers the others' reports for a grace period, and exits.
    private func fire(_ mark: Mark, stuck: Double) -> Never {
        let line = (mark.waiting ? "waiting\n" : "working\n")
            + "rank \(rank)@\(hosts[rank]): no progress for \(Int(stuck)) s at step \(mark.step): \(mark.phase)"
        try? FileManager.default.createDirectory(atPath: reportDirectory, withIntermediateDirectories: true)
        try? AtomicFile.write(Array(line.utf8), to: reportDirectory + "/rank-\(rank)")
        let grace = min(max(timeout / 4, 2), 15)
        var reports: [Int: String] = [:]
        let deadline = Date().addingTimeInterval(grace)
        repeat {
            Thread.sleep(forTimeInterval: 0.25)
            reports = readReports()
        } while reports.count < hosts.count && Date() < deadline
        if reports.keys.min() == rank {
            Console.shared.final(Self.summary(timeout: timeout, hosts: hosts, reports: reports))
        } else {
            Thread.sleep(forTimeInterval: 2)  // the launcher ends the job at the first exit: let the summary out first
        }
        onStall?()
        fflush(nil)
        _exit(Self.exitCode)
    }

    private func readReports() -> [Int: String] {
        var reports: [Int: String] = [:]
        for r in hosts.indices {
            if let data = FileManager.default.contents(atPath: reportDirectory + "/rank-\(r)") {
                reports[r] = String(decoding: data, as: UTF8.self)
            }
        }
        return reports
    }

    /// The message of a stalled job. The ranks holding the others up are those that did not
    /// report (stopped, hung or dead) and those stuck in their own work; the rest were
    /// waiting for them in a collective. A report is "waiting" or "working", a newline, and
    /// the rank's line.
    public static func summary(timeout: Double, hosts: [String], reports: [Int: String]) -> String {
        var culprits: [String] = [], waiting: [String] = []
        for r in hosts.indices {
            guard let report = reports[r] else {
                culprits.append("rank \(r)@\(hosts[r]) (did not report: stopped, hung or dead)")
                continue
            }
            let parts = report.split(separator: "\n", maxSplits: 1).map(String.init)
            let line = parts.last ?? report
            if parts.first == "waiting" { waiting.append(line) } else { culprits.append(line) }
        }
        var lines = ["lockstep: stalled: no progress for \(Int(timeout)) s (training.stall_timeout); ending the job with exit code \(exitCode)"]
        lines.append("  holding the job up:")
        lines += (culprits.isEmpty ? ["(none: every rank waits in a collective; the network?)"] : culprits).map { "    " + $0 }
        if !waiting.isEmpty {
            lines.append("  waiting for them:")
            lines += waiting.map { "    " + $0 }
        }
        lines.append("  resume with --resume auto: the last checkpoint is intact")
        return lines.joined(separator: "\n")
    }
}
