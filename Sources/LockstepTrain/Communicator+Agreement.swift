import LockstepDistributed

extension Communicator {
    /// Runs `body` on every rank and agrees on the outcome (a collective call). When it threw
    /// on any rank, every rank throws the same `AgreedFailure`, which names each failing rank
    /// (with its host) and its error; when only some ranks failed, `partialHint` says why that
    /// happens (a file one node sees and another does not).
    public func agreeing<T>(on what: String, partialHint: String, _ body: () throws -> T) throws -> T {
        var result: T?
        var message = ""
        do { result = try body() } catch { message = "\(error)" }
        let messages = try allgather(message, maxBytes: 1024)
        let failed = messages.indices.filter { !messages[$0].isEmpty }
        guard let result, failed.isEmpty else {
            let hosts = try allgather(hostname)
            var text = "\(what) failed on \(failed.count) of \(size) rank(s):"
            for r in failed { text += "\n  rank \(r)@\(hosts[r]): \(messages[r])" }
            if failed.count < size { text += "\n" + partialHint }
            throw AgreedFailure(text)
        }
        return result
    }
}
