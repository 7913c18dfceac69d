/// A failure every rank detected together (a collective decision), so no rank must be
/// aborted: rank 0 prints it and every rank exits with `Runtime.failureExitCode`.
public struct AgreedFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
