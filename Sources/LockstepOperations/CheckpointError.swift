/// A checkpoint that cannot be written or used.
public struct CheckpointError: Error, CustomStringConvertible {
    /// What went wrong, naming the file and what was expected.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
