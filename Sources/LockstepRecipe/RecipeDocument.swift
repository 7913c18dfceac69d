import Foundation
import LockstepOperations
import LockstepOutputs
import LockstepTrain
import Yams

/// A recipe's YAML tree with `--set` overrides applied, checked against the known keys, and
/// read through typed getters whose errors name the file, the dotted key and what was expected.
struct RecipeDocument {
    let source: String
    private(set) var root: Node.Mapping
    /// Path of this document inside the recipe, for items of list sections ("regularization[1].").
    private(set) var prefix = ""

    /// The accepted keys of each section ("" is the top level), in declaration order, derived
    /// from `RecipeKeys.all`: `data.normalize.mean` makes `normalize` a key of `data` and
    /// `mean` a key of `data.normalize`; `regularization[].l2` makes `regularization` a list section.
    static let schema: [String: [String]] = {
        var schema: [String: [String]] = [:]
        for key in RecipeKeys.all {
            let parts = key.path.replacingOccurrences(of: "[]", with: "").split(separator: ".").map(String.init)
            for depth in parts.indices {
                let section = parts[..<depth].joined(separator: ".")
                if !(schema[section] ?? []).contains(parts[depth]) { schema[section, default: []].append(parts[depth]) }
            }
        }
        return schema
    }()
    /// Sections that may also be written as one scalar, standing for one of their keys
    /// (`loss: mse` is `loss: {name: mse}`, `pretrained: w.h5` is `pretrained: {file: w.h5}`).
    static let shorthand: [String: String] = Dictionary(uniqueKeysWithValues: RecipeKeys.all.filter(\.isShorthand).map { key in
        let dot = key.path.lastIndex(of: ".")!
        return (String(key.path[..<dot]), String(key.path[key.path.index(after: dot)...]))
    })
    /// Sections that may also be a list of such mappings (`regularization: [{l2: 1e-4}, …]`).
    static let listSections: Set<String> = Set(RecipeKeys.all.compactMap { key in
        key.path.range(of: "[]").map { String(key.path[..<$0.lowerBound]) }
    })

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

    /// The key's value; the key must be required or have a default.
    func callAsFunction<V>(_ key: RecipeKey<V>) throws -> V {
        if let v = try optional(key) { return v }
        switch key.absent {
        case .value(let v): return v
        case .required: throw RecipeError("\(source): recipe key '\(prefix)\(key.localPath)' is required")
        case .unset, .derived: preconditionFailure("\(key.path) has no default: read it with optional(_:)")
        }
    }

    /// The key's value as written, or nil when the recipe leaves it out.
    func optional<V>(_ key: RecipeKey<V>) throws -> V? {
        let path = key.localPath
        guard let n = node(path) else { return nil }
        let shown = writtenPath(path)
        guard let v = V.read(n) else { throw RecipeError("\(source): recipe key '\(prefix)\(shown)' \(V.problem(with: n))") }
        if let problem = key.violation(v) { throw RecipeError("\(source): recipe key '\(prefix)\(shown)' \(problem)") }
        return v
    }

    /// The key as the recipe wrote it: the section for a shorthand (`loss` of `loss: hinge`).
    private func writtenPath(_ path: String) -> String {
        guard let dot = path.lastIndex(of: ".") else { return path }
        let section = String(path[..<dot])
        return Self.shorthand[section] != nil && node(section)?.scalar != nil ? section : path
    }

    /// The tree as YAML, overrides included.
    func serialized() throws -> String { try Yams.serialize(node: .mapping(root)) }
}
