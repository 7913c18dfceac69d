/// A run directory that cannot be made, written or read: names the path and the problem.
public struct RunDirectoryError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
