import LockstepNN

extension Communicator {
    /// Copies a model's parameters and buffers from `root` to every rank.
    public func broadcast(stateOf model: Model, root: Int) throws {
        try broadcast(UnsafeMutableRawBufferPointer(model.arena.valueBuffer), root: root)
        try broadcast(buffersOf: model, root: root)
    }

    /// Copies a model's buffers (BatchNorm running statistics) from `root` to every rank.
    public func broadcast(buffersOf model: Model, root: Int) throws {
        guard size > 1 else { return }
        for b in model.buffers { try broadcast(UnsafeMutableRawBufferPointer(b.value.buffer), root: root) }
    }
}
