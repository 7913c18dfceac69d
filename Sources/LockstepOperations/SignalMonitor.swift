import Dispatch
import Foundation
import LockstepTensor
import Synchronization

/// Catches SIGUSR1, SIGTERM and SIGINT (Slurm sends the first two before a time limit or
/// preemption, and mpirun forwards them) and remembers the last one; the trainer checks it at
/// every step boundary, where all ranks agree to stop together.
public final class SignalMonitor: @unchecked Sendable {
    // Sendable: `sources` is set once, in init, and only cancelled in deinit (Dispatch's
    // source type is not marked Sendable); the handlers touch only the atomic.
    /// The signals that request a checkpoint-and-stop.
    public static let signals: [Int32] = [SIGUSR1, SIGTERM, SIGINT]
    private let caught = Atomic<Int32>(0)
    private let sources: [any DispatchSourceSignal]

    public init() {
        sources = Self.signals.map { s in
            signal(s, SIG_IGN)  // delivered to the dispatch source instead of killing the process
            return DispatchSource.makeSignalSource(signal: s, queue: .global())
        }
        for (s, source) in zip(Self.signals, sources) {
            source.setEventHandler { [weak self] in self?.caught.store(s, ordering: .relaxed) }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for s in Self.signals { signal(s, SIG_DFL) }
        StopSignalCatcher.install()  // SIGUSR1 stays caught (not fatal) while the process ends
    }

    /// The last signal caught, or 0; a SIGUSR1 that arrived while the process started (before
    /// this monitor existed) counts.
    public var pending: Int32 {
        let s = caught.load(ordering: .relaxed)
        return s != 0 ? s : StopSignalCatcher.caught
    }
}
