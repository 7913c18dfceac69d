import Foundation
import Yams

/// A recipe's YAML tree with `--set` overrides applied, checked against the known keys, and
/// read through typed getters whose errors name the file, the dotted key and what was expected.
struct RecipeDocument {
    let source: String
    private(set) var root: Node.Mapping

    /// Every accepted key, by section ("" is the top level). A section maps to nil when it
    /// holds free-form keys.
    static let schema: [String: [String]] = [
        "": ["name", "seed", "output", "loss", "model", "data", "training", "optimizer"],
        "model": ["name", "hidden", "activation"],
        "data": ["train", "test", "normalize", "verify_checksums", "prefetch"],
        "data.normalize": ["scale", "mean", "std"],
        "training": ["epochs", "batch_per_rank", "eval_batch_per_rank", "log_every", "max_steps", "bucket_mb"],
        "optimizer": ["name", "lr", "momentum", "dampening", "nesterov", "weight_decay", "beta1", "beta2", "eps"],
    ]

    init(text: String, source: String, overrides: [String]) throws {
        self.source = source
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw RecipeError("\(source): not valid YAML: \(error)")
        }
        guard let mapping = node?.mapping else { throw RecipeError("\(source): a recipe is a YAML mapping of sections (model, data, training, optimizer, …)") }
        root = mapping
        for o in overrides { try apply(override: o) }
        try validate(root, section: "")
    }

    /// Applies `a.b.c=value`; the value is parsed as YAML (so `0.1`, `true`, `[512, 256]` work).
    mutating func apply(override: String) throws {
        guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
            throw RecipeError("--set \(override): expected key=value, e.g. --set optimizer.lr=0.1")
        }
        let path = override[..<eq].split(separator: ".").map(String.init)
        let text = String(override[override.index(after: eq)...])
        let value: Node
        do { value = try Yams.compose(yaml: text) ?? Node("", Tag(.str)) } catch {
            throw RecipeError("--set \(override): value is not valid YAML: \(error)")
        }
        root = try Self.setting(root, path[...], value, whole: override)
    }

    private static func setting(_ mapping: Node.Mapping, _ path: ArraySlice<String>, _ value: Node, whole: String) throws -> Node.Mapping {
        var m = mapping
        let key = path.first!
        if path.count == 1 {
            m[key] = value
        } else {
            let child = m[key]?.mapping ?? Node.Mapping([])
            if let existing = m[key], existing.mapping == nil {
                throw RecipeError("--set \(whole): \(key) is not a section")
            }
            m[key] = Node.mapping(try setting(child, path.dropFirst(), value, whole: whole))
        }
        return m
    }

    private func validate(_ mapping: Node.Mapping, section: String) throws {
        guard let known = Self.schema[section] else { return }
        for (k, v) in mapping {
            guard let key = k.string, known.contains(key) else {
                let shown = k.string ?? "\(k)"
                let full = section.isEmpty ? shown : section + "." + shown
                throw RecipeError("\(source): unknown recipe key '\(full)'; \(section.isEmpty ? "top-level keys" : "keys of \(section)") are: \(known.joined(separator: ", "))")
            }
            let full = section.isEmpty ? key : section + "." + key
            if Self.schema[full] != nil {
                guard let sub = v.mapping else { throw RecipeError("\(source): recipe key '\(full)' must be a section (a mapping)") }
                try validate(sub, section: full)
            }
        }
    }

    /// The node at a dotted path, if present.
    func node(_ path: String) -> Node? {
        var current: Node = .mapping(root)
        for part in path.split(separator: ".") {
            guard let next = current.mapping?[String(part)] else { return nil }
            current = next
        }
        if current.null != nil { return nil }
        return current
    }

    private func typeError(_ path: String, _ expected: String, _ node: Node) -> RecipeError {
        let shown = (try? Yams.serialize(node: node).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "\(node)"
        return RecipeError("\(source): recipe key '\(path)' must be \(expected), got \(shown)")
    }

    func string(_ path: String, default value: String? = nil) throws -> String {
        guard let n = node(path) else {
            if let value { return value }
            throw RecipeError("\(source): recipe key '\(path)' is required")
        }
        guard case .scalar(let s) = n else { throw typeError(path, "a string", n) }
        return s.string
    }

    func optionalString(_ path: String) throws -> String? {
        node(path) == nil ? nil : try string(path)
    }

    func int(_ path: String, default value: Int? = nil, min lower: Int? = nil) throws -> Int {
        guard let n = node(path) else {
            if let value { return value }
            throw RecipeError("\(source): recipe key '\(path)' is required")
        }
        guard let v = n.int else { throw typeError(path, "an integer", n) }
        if let lower, v < lower { throw RecipeError("\(source): recipe key '\(path)' must be ≥ \(lower), got \(v)") }
        return v
    }

    func optionalInt(_ path: String, min lower: Int? = nil) throws -> Int? {
        node(path) == nil ? nil : try int(path, min: lower)
    }

    func double(_ path: String, default value: Double? = nil, min lower: Double? = nil) throws -> Double {
        guard let n = node(path) else {
            if let value { return value }
            throw RecipeError("\(source): recipe key '\(path)' is required")
        }
        guard let v = n.float, v.isFinite else { throw typeError(path, "a number", n) }
        if let lower, v < lower { throw RecipeError("\(source): recipe key '\(path)' must be ≥ \(lower), got \(v)") }
        return v
    }

    func bool(_ path: String, default value: Bool) throws -> Bool {
        guard let n = node(path) else { return value }
        guard let v = n.bool else { throw typeError(path, "true or false", n) }
        return v
    }

    func intList(_ path: String, default value: [Int]) throws -> [Int] {
        guard let n = node(path) else { return value }
        guard let seq = n.sequence else { throw typeError(path, "a list of integers", n) }
        return try seq.map { item in
            guard let v = item.int else { throw typeError(path, "a list of integers", n) }
            return v
        }
    }

    func doubleList(_ path: String, default value: [Double]) throws -> [Double] {
        guard let n = node(path) else { return value }
        if let single = n.float { return [single] }
        guard let seq = n.sequence else { throw typeError(path, "a number or a list of numbers", n) }
        return try seq.map { item in
            guard let v = item.float else { throw typeError(path, "a number or a list of numbers", n) }
            return v
        }
    }

    /// The tree as YAML, overrides included.
    func serialized() throws -> String { try Yams.serialize(node: .mapping(root)) }
}
