/// A problem with a dataset a user can cause: names the file and what was expected.
public struct DataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
