/// Parameters chosen by name, as recipes write them (`freeze`, `optimizer.param_groups`,
/// `regularization`) and benchmarks use them: a list of shell-style patterns (`*` any run of
/// characters, `?` one), plus the token `<weights>` for every parameter of two or more
/// dimensions (matrices and kernels, not biases or norm scales). Empty selects nothing.
public struct ParameterSelection: Sendable, Equatable {
    public var patterns: [String]

    /// The token that selects weights by shape rather than by name.
    public static let weightsToken = "<weights>"
    /// Weights only: the default of a regularization group.
    public static let weights = ParameterSelection([weightsToken])

    public init(_ patterns: [String]) { self.patterns = patterns }

    public var isEmpty: Bool { patterns.isEmpty }

    /// Whether `parameter` is selected.
    public func contains(_ parameter: Parameter) -> Bool {
        patterns.contains { $0 == Self.weightsToken ? parameter.shape.count >= 2 : Glob.matches($0, parameter.name) }
    }

    /// The selected parameters of `parameters`, in order.
    public func select(_ parameters: [Parameter]) -> [Parameter] { parameters.filter(contains) }
}

/// Shell-style name patterns: `*` matches any (possibly empty) run of characters, `?` one.
public enum Glob {
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern), s = Array(name)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) { pi += 1; si += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = si; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; si = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
