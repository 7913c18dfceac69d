/// One recipe key, declared once: its dotted path, type, default, bounds and meaning. The
/// parser reads it, the unknown-key check and the README's key table are derived from it.
///
/// Paths of keys inside the items of a list section carry `[]`: `regularization[].l2` is
/// the `l2` of each item of `regularization`.
struct RecipeKey<Value: RecipeValue>: AnyRecipeKey {
    /// What happens when the recipe leaves the key out.
    enum Absent: Sendable {
        /// An error naming the key.
        case required
        /// This value.
        case value(Value)
        /// Nothing: the feature is off (the text says what that means, for the table).
        case unset(String)
        /// The parser derives a value from other keys, as the text says.
        case derived(String)
    }

    let path: String
    let absent: Absent
    /// Inclusive lower bound of numbers (a list's elements too).
    var minimum: Double? = nil
    /// Exclusive lower bound.
    var above: Double? = nil
    /// Exclusive upper bound.
    var below: Double? = nil
    /// Inclusive upper bound.
    var maximum: Double? = nil
    /// For string keys: the accepted values (enum keys list theirs by their type).
    var choices: [String]? = nil
    /// The value may stand for its whole section (`loss: mse` is `loss: {name: mse}`).
    var isShorthand = false
    let help: String

    /// The path inside one item of a list section (`l2` of `regularization[].l2`), else the path.
    var localPath: String {
        guard let r = path.range(of: "[].", options: .backwards) else { return path }
        return String(path[r.upperBound...])
    }

    var typeText: String {
        if let choices { return "one of " + choices.joined(separator: ", ") }
        var text = Value.expected
        if let minimum, let below {
            return text + " in [\(RecipeKeyText.number(minimum)), \(RecipeKeyText.number(below)))"
        }
        if let minimum, let maximum {
            return text + " in [\(RecipeKeyText.number(minimum)), \(RecipeKeyText.number(maximum))]"
        }
        if let minimum { text += " ≥ " + RecipeKeyText.number(minimum) }
        if let above { text += " > " + RecipeKeyText.number(above) }
        if let below { text += " < " + RecipeKeyText.number(below) }
        return text
    }

    var defaultText: String {
        switch absent {
        case .required: return "required"
        case .value(let v): return "`\(v.recipeText)`"
        case .unset(let text), .derived(let text): return text
        }
    }

    /// The problem with `value` for this key, if any (a bound or a choice it breaks).
    func violation(_ value: Value) -> String? {
        for x in value.boundedNumbers {
            if let minimum, x < minimum { return "must be ≥ \(RecipeKeyText.number(minimum)), got \(RecipeKeyText.number(x))" }
            if let above, x <= above { return "must be > \(RecipeKeyText.number(above)), got \(RecipeKeyText.number(x))" }
            if let below, x >= below { return "must be < \(RecipeKeyText.number(below)), got \(RecipeKeyText.number(x))" }
            if let maximum, x > maximum { return "must be ≤ \(RecipeKeyText.number(maximum)), got \(RecipeKeyText.number(x))" }
        }
        if let choices, let s = value as? String, !choices.contains(s) {
            return "is \"\(s)\"; known: \(choices.joined(separator: ", "))"
        }
        return nil
    }
}

/// What the key table and the unknown-key check need of a key, whatever its type.
protocol AnyRecipeKey: Sendable {
    var path: String { get }
    var isShorthand: Bool { get }
    var typeText: String { get }
    var defaultText: String { get }
    var help: String { get }
}

enum RecipeKeyText {
    /// A number as a person writes it: 1 not 1.0, 0.001, 1e-08.
    static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }
}

extension Recipe {
    /// Every recipe key as a Markdown table (key, type, default, meaning): the README's, and
    /// `lockstep recipe-keys`.
    public static var keyTable: String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        let rows = RecipeKeys.all.map { key in
            "| `\(key.path)` | \(cell(key.typeText)) | \(cell(key.defaultText)) | \(cell(key.help)) |"
        }
        return (["| key | type | default | meaning |", "|---|---|---|---|"] + rows).joined(separator: "\n") + "\n"
    }
}
