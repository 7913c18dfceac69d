import Foundation

/// Thrown on every rank when a signal asked the run to stop and the checkpoint is written.
public struct StoppedBySignal: Error, CustomStringConvertible {
    public let signal: Int32
    public let checkpoint: String
    public init(signal: Int32, checkpoint: String) {
        self.signal = signal
        self.checkpoint = checkpoint
    }

    public var description: String { "stopped by signal \(signal); resume from \(checkpoint)" }
}
