import Foundation
import Yams

/// A recipe's YAML tree with `--set` overrides applied, checked against the known keys, and
/// read through typed getters whose errors name the file, the dotted key and what was expected.
struct RecipeDocument {
    let source: String
    private(set) var root: Node.Mapping
    /// Path of this document inside the recipe, for items of list sections ("regularization[1].").
    private(set) var prefix = ""

    /// Every accepted key, by section ("" is the top level). A section maps to nil when it
    /// holds free-form keys.
    static let schema: [String: [String]] = [
        "": ["name", "seed", "output", "loss", "model", "data", "training", "optimizer", "schedule", "regularization", "checkpoint",
             "pretrained", "head", "freeze", "unfreeze_after_epochs"],
        "pretrained": ["file", "format"],
        "head": ["classes"],
        "optimizer.param_groups": ["params", "lr_scale"],
        "checkpoint": ["dir", "every_steps", "every_epoch", "keep_last", "monitor", "mode"],
        "model": ["name", "hidden", "activation", "stem", "widths", "dropout"],
        "loss": ["name", "label_smoothing"],
        "data": ["train", "test", "normalize", "verify_checksums", "prefetch", "classes", "limit", "preprocess", "channels", "resize", "crop"],
        "data.normalize": ["scale", "mean", "std"],
        "training": ["epochs", "batch_per_rank", "eval_batch_per_rank", "log_every", "max_steps", "bucket_mb"],
        "optimizer": ["name", "lr", "momentum", "dampening", "nesterov", "weight_decay", "beta1", "beta2", "eps", "clip_grad_norm",
                      "param_groups"],
        "schedule": ["name", "warmup_steps", "warmup_epochs", "step_epochs", "gamma", "min_lr", "reference_batch"],
        "regularization": ["l1", "l2", "params"],
    ]
    /// Sections that may also be written as one scalar, standing for one of their keys
    /// (`loss: mse` is `loss: {name: mse}`, `pretrained: w.h5` is `pretrained: {file: w.h5}`).
    static let shorthand: [String: String] = ["loss": "name", "schedule": "name", "pretrained": "file"]
    /// Sections that may also be a list of such mappings (`regularization: [{l2: 1e-4}, …]`).
    static let listSections: Set<String> = ["regularization", "optimizer.param_groups"]

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
        root = try Self.setting(root, path[...], value, whole: override, section: "")
    }

    private static func setting(_ mapping: Node.Mapping, _ path: ArraySlice<String>, _ value: Node, whole: String,
                                section: String) throws -> Node.Mapping {
        var m = mapping
        let key = path.first!
        let full = section.isEmpty ? key : section + "." + key
        if path.count == 1 {
            m[key] = value
        } else {
            var child = m[key]?.mapping ?? Node.Mapping([])
            if let existing = m[key], existing.mapping == nil, existing.null == nil {
                // `loss: mse` is shorthand for `loss: {name: mse}`; other scalars are not sections.
                guard let key = shorthand[full], existing.scalar != nil else {
                    throw RecipeError("--set \(whole): \(full) is not a section")
                }
                child = Node.Mapping([(Node(key), existing)])
            }
            m[key] = Node.mapping(try setting(child, path.dropFirst(), value, whole: whole, section: full))
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
                if Self.shorthand[full] != nil, v.scalar != nil { continue }
                if Self.listSections.contains(full), let items = v.sequence {
                    for item in items {
                        guard let sub = item.mapping else { throw RecipeError("\(source): recipe key '\(full)' must hold mappings") }
                        try validate(sub, section: full)
                    }
                    continue
                }
                guard let sub = v.mapping else { throw RecipeError("\(source): recipe key '\(full)' must be a section (a mapping)") }
                try validate(sub, section: full)
            }
        }
    }

    /// The node at a dotted path, if present. The shorthand key of a section written as a
    /// scalar (`loss.name` of `loss: mse`) is that scalar.
    func node(_ path: String) -> Node? {
        var current: Node = .mapping(root)
        var walked = ""
        for part in path.split(separator: ".") {
            if current.scalar != nil, Self.shorthand[walked] == String(part) { break }
            walked = walked.isEmpty ? String(part) : walked + "." + part
            guard let next = current.mapping?[String(part)] else { return nil }
            current = next
        }
        if current.null != nil { return nil }
        return current
    }

    /// The items of a list section (a single mapping counts as one item), each as a document
    /// whose errors name `section[i].key`.
    func items(_ path: String) -> [RecipeDocument] {
        guard let n = node(path) else { return [] }
        let mappings = n.sequence.map { $0.compactMap(\.mapping) } ?? n.mapping.map { [$0] } ?? []
        return mappings.enumerated().map { i, m in
            var d = self
            d.root = m
            d.prefix = prefix + (n.sequence == nil ? "\(path)." : "\(path)[\(i)].")
            return d
        }
    }

    private func typeError(_ path: String, _ expected: String, _ node: Node) -> RecipeError {
        let shown = (try? Yams.serialize(node: node).trimmingCharacters(in: .whitespacesAndNewlines)) ?? "\(node)"
        return RecipeError("\(source): recipe key '\(prefix)\(path)' must be \(expected), got \(shown)")
    }

    func stringList(_ path: String, default value: [String]) throws -> [String] {
        guard let n = node(path) else { return value }
        if case .scalar(let s) = n { return [s.string] }
        guard let seq = n.sequence else { throw typeError(path, "a list of strings", n) }
        return try seq.map { item in
            guard case .scalar(let s) = item else { throw typeError(path, "a list of strings", n) }
            return s.string
        }
    }

    func string(_ path: String, default value: String? = nil) throws -> String {
        guard let n = node(path) else {
            if let value { return value }
            throw RecipeError("\(source): recipe key '\(prefix)\(path)' is required")
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
            throw RecipeError("\(source): recipe key '\(prefix)\(path)' is required")
        }
        guard let v = n.int else { throw typeError(path, "an integer", n) }
        if let lower, v < lower { throw RecipeError("\(source): recipe key '\(prefix)\(path)' must be ≥ \(lower), got \(v)") }
        return v
    }

    func optionalInt(_ path: String, min lower: Int? = nil) throws -> Int? {
        node(path) == nil ? nil : try int(path, min: lower)
    }

    func double(_ path: String, default value: Double? = nil, min lower: Double? = nil) throws -> Double {
        guard let n = node(path) else {
            if let value { return value }
            throw RecipeError("\(source): recipe key '\(prefix)\(path)' is required")
        }
        guard let v = n.float, v.isFinite else { throw typeError(path, "a number", n) }
        if let lower, v < lower { throw RecipeError("\(source): recipe key '\(prefix)\(path)' must be ≥ \(lower), got \(v)") }
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
