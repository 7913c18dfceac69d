/// A model, file or option that cannot be exported as asked: names the layer, parameter or
/// file and what was expected.
public struct ExportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    /// A layer the format has no way to express.
    static func unsupported(_ kind: String, at path: String, in format: String, _ why: String = "") -> ExportError {
        ExportError("layer \(path.isEmpty ? "<model>" : path) (\(kind)) cannot be expressed in \(format)\(why.isEmpty ? "" : ": " + why)")
    }
}
