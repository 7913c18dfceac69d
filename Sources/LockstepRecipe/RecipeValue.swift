import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOptimizers
import LockstepOutputs
import LockstepTrain
import Yams

/// A type a recipe key can hold: how it is read from YAML, named in errors and in the key
/// table, and which of its numbers a key's bounds apply to.
protocol RecipeValue: Sendable {
    /// What a value must be ("an integer", "a list of numbers").
    static var expected: String { get }
    /// The value `node` holds, or nil when it holds another type.
    static func read(_ node: Node) -> Self?
    /// The value as a recipe writes it (the defaults of the key table).
    var recipeText: String { get }
    /// The numbers a key's bounds apply to: the value, a list's elements, or none.
    var boundedNumbers: [Double] { get }
    /// What is wrong with `node`, which `read` refused ("must be an integer, got two").
    static func problem(with node: Node) -> String
}

extension RecipeValue {
    var boundedNumbers: [Double] { [] }
    static func problem(with node: Node) -> String {
        let shown = (try? Yams.serialize(node: node).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "\(node)"
        return "must be \(expected), got \(shown)"
    }
}

extension Int: RecipeValue {
    static var expected: String { "an integer" }
    static func read(_ node: Node) -> Int? { node.int }
    var recipeText: String { String(self) }
    var boundedNumbers: [Double] { [Double(self)] }
}

extension Double: RecipeValue {
    static var expected: String { "a number" }
    static func read(_ node: Node) -> Double? { node.float.flatMap { $0.isFinite ? $0 : nil } }
    var recipeText: String { RecipeKeyText.number(self) }
    var boundedNumbers: [Double] { [self] }
}

extension Bool: RecipeValue {
    static var expected: String { "true or false" }
    static func read(_ node: Node) -> Bool? { node.bool }
    var recipeText: String { String(self) }
}

extension String: RecipeValue {
    static var expected: String { "a string" }
    static func read(_ node: Node) -> String? {
        guard case .scalar(let s) = node else { return nil }
        return s.string
    }
    var recipeText: String { self }
}

extension Array: RecipeValue where Element: RecipeListElement {
    static var expected: String { Element.listExpected }
    /// A list of the element type; a lone scalar counts as a one-item list where the element
    /// type allows it (`mean: 0.5`, `freeze: "fc.*"`).
    static func read(_ node: Node) -> [Element]? {
        if Element.scalarIsList, node.sequence == nil, let single = Element.read(node) { return [single] }
        guard let items = node.sequence else { return nil }
        var values: [Element] = []
        for item in items {
            guard let v = Element.read(item) else { return nil }
            values.append(v)
        }
        return values
    }
    var recipeText: String { "[" + map(\.recipeText).joined(separator: ", ") + "]" }
    var boundedNumbers: [Double] { flatMap(\.boundedNumbers) }
}

/// Element types of list keys.
protocol RecipeListElement: RecipeValue {
    static var listExpected: String { get }
    /// Whether a single scalar is read as a one-item list.
    static var scalarIsList: Bool { get }
}

extension Int: RecipeListElement {
    static var listExpected: String { "a list of integers" }
    static var scalarIsList: Bool { false }
}

extension Double: RecipeListElement {
    static var listExpected: String { "a number or a list of numbers" }
    static var scalarIsList: Bool { true }
}

extension String: RecipeListElement {
    static var listExpected: String { "a list of strings" }
    static var scalarIsList: Bool { true }
}

/// A key whose value is one of a fixed set of names, parsed into an enum.
protocol RecipeChoice: RecipeValue, RawRepresentable, CaseIterable where RawValue == String {}

extension RecipeChoice {
    static var expected: String { "one of " + allCases.map(\.rawValue).joined(separator: ", ") }
    static func read(_ node: Node) -> Self? { String.read(node).flatMap(Self.init(rawValue:)) }
    var recipeText: String { rawValue }
    static func problem(with node: Node) -> String {
        guard let name = String.read(node) else { return "must be \(expected)" }
        return "is \"\(name)\"; known: " + allCases.map(\.rawValue).joined(separator: ", ")
    }
}

/// The loss a recipe trains with.
public enum LossKind: String, RecipeChoice {
    case crossEntropy = "cross_entropy", mse, mae, binaryCrossEntropy = "binary_cross_entropy"
    /// Binary cross-entropy on probabilities (after a sigmoid), as nn.BCELoss.
    case bce
}

/// The optimizer a recipe steps with.
public enum OptimizerKind: String, RecipeChoice {
    case sgd, adam, adamw
}

/// Preset preprocessing of pretrained models' inputs.
public enum Preprocess: String, RecipeChoice {
    /// Only `data.normalize`.
    case none
    /// Keras applications: RGB→BGR, ImageNet means subtracted from 0–255 values.
    case caffe
    /// torchvision: 0–1 values normalized by ImageNet's channel means and deviations.
    case torch
}



/// The metric that selects the best checkpoint.
public enum CheckpointMonitor: String, RecipeChoice {
    case testAccuracy = "test_accuracy", testLoss = "test_loss", trainLoss = "train_loss", none
}

extension CheckpointPolicy.Mode: RecipeChoice {}
extension NonFinitePolicy: RecipeChoice {}
extension ProgressStyle: RecipeChoice {}
extension LearningRateSchedule.Kind: RecipeChoice {}
extension MetricWatch.Metric: RecipeChoice {}
extension Pretrained.Format: RecipeChoice {}
extension ResNet.Stem: RecipeChoice {}
extension PositionalEncoding.Kind: RecipeChoice {}
extension SequencePool.Mode: RecipeChoice {}
extension InputCache: RecipeChoice {}
extension GradientReducer.Precision: RecipeChoice {}
