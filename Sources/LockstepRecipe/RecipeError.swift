/// A recipe that cannot be used: names the file and the key, and what was expected.
public struct RecipeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
