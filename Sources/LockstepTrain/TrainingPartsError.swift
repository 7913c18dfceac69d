/// Parts of a training run that do not fit together: names the parts and what each holds.
public struct TrainingPartsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
