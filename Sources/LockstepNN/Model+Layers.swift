extension Model {
    /// Every layer of type `T` in the network, depth first in declaration order, found through
    /// the stored properties of each layer (so the children of containers written elsewhere,
    /// a user's own included, are found too).
    public func layers<T>(of type: T.Type) -> [T] {
        var found: [T] = []
        var seen = Set<ObjectIdentifier>()
        func visit(_ value: Any) {
            if let layer = value as? any Layer {
                guard seen.insert(ObjectIdentifier(layer)).inserted else { return }
                if let match = layer as? T { found.append(match) }
            }
            let mirror = Mirror(reflecting: value)
            guard value is any Layer || mirror.displayStyle == .collection || mirror.displayStyle == .optional
                    || mirror.displayStyle == .tuple else { return }
            for child in mirror.children { visit(child.value) }
        }
        visit(root)
        return found
    }
}
