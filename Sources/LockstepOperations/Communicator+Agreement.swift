import LockstepDistributed

extension Communicator {
    /// Every rank's non-empty `report` (cut to `maxBytes`), with its rank and host, in rank
    /// order (a collective call; hosts are gathered only when some rank reported).
    public func reports(_ mine: String, maxBytes: Int) throws -> [(rank: Int, host: String, text: String)] {
        let all = try allgather(mine, maxBytes: maxBytes)
        let reporting = all.indices.filter { !all[$0].isEmpty }
        guard !reporting.isEmpty else { return [] }
        let hosts = try allgather(hostname)
        return reporting.map { ($0, hosts[$0], all[$0]) }
    }

    /// Runs `body` on every rank and agrees on the outcome (a collective call). When it threw
    /// on any rank, every rank throws the same `AgreedFailure`, which names each failing rank
    /// (with its host) and its error, or just the error when every rank met the same one;
    /// when only some ranks failed, `partialHint` says why that happens (a file one node sees
    /// and another does not).
    public func agreeing<T>(on what: String, partialHint: String, _ body: () throws -> T) throws -> T {
        var result: T?
        var message = ""
        do { result = try body() } catch { message = "\(error)" }
        let failed = try reports(message, maxBytes: 1024)
        guard let result, failed.isEmpty else {
            // The same error everywhere (a recipe typo): said once, as it is.
            if failed.count == size, Set(failed.map(\.text)).count == 1 { throw AgreedFailure(failed[0].text) }
            var text = "\(what) failed on \(failed.count) of \(size) rank(s):"
            for f in failed { text += "\n  rank \(f.rank)@\(f.host): \(f.text)" }
            if failed.count < size { text += "\n" + partialHint }
            throw AgreedFailure(text)
        }
        return result
    }
}
