import Foundation
import LockstepHDF5
import LockstepOperations

/// The state of a run directory (`RUN/status.json`), written by rank 0 when a run starts and
/// when it ends, so that `lockstep runs` tells finished, stopped, failed, stalled and running
/// (or killed) runs apart. A run killed outright (kill -9, a node lost) leaves "running" with
/// the pid and host of rank 0, which `lockstep runs` checks.
public struct RunStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case running, finished, stopped, failed, stalled
    }

    public var state: State
    /// The process exit code the state stands for (0, 75, 1, 76), once ended.
    public var exitCode: Int32?
    /// The error, for a failed run (its first line).
    public var message: String?
    public var host: String
    public var pid: Int32
    public var worldSize: Int
    /// Seconds since 1970 when this invocation started and when the status was written.
    public var started: Double
    public var updated: Double
    /// A rank persistently slower than the others, when one was named (`StragglerDetector`).
    public var straggler: StragglerDetector.Finding?

    public init(state: State, exitCode: Int32? = nil, message: String? = nil, host: String, pid: Int32 = getpid(),
                worldSize: Int, started: Double, updated: Double = Date().timeIntervalSince1970) {
        self.state = state
        self.exitCode = exitCode
        self.message = message
        self.host = host
        self.pid = pid
        self.worldSize = worldSize
        self.started = started
        self.updated = updated
    }

    public static func path(_ runDirectory: String) -> String { runDirectory + "/status.json" }

    /// The status recorded in `runDirectory`, if any (and readable).
    public static func read(_ runDirectory: String) -> RunStatus? {
        guard let data = FileManager.default.contents(atPath: path(runDirectory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try? decoder.decode(RunStatus.self, from: data)
    }

    public func write(to runDirectory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(Array(try encoder.encode(self)) + [0x0A], to: Self.path(runDirectory))
    }

    /// This status with the straggler the run named (kept when `straggler` is nil).
    public func with(straggler: StragglerDetector.Finding?) -> RunStatus {
        var s = self
        s.straggler = straggler ?? self.straggler
        return s
    }

    /// This status, ended now in `state` with the process exit code it stands for.
    public func ended(_ state: State, exitCode: Int32, message: String? = nil) -> RunStatus {
        var s = self
        s.state = state
        s.exitCode = exitCode
        s.message = message
        s.updated = Date().timeIntervalSince1970
        return s
    }

    /// This status, ended as `error` says (nil: finished).
    public func ended(by error: Error?) -> RunStatus {
        switch error {
        case nil: return ended(.finished, exitCode: 0)
        case is StoppedBySignal: return ended(.stopped, exitCode: ExitCode.resumable)
        case let e?: return ended(.failed, exitCode: ExitCode.failure, message: "\(e)".split(separator: "\n").first.map(String.init))
        }
    }
}
