/// The collectives a data-parallel trainer needs, over a fixed group of ranks.
///
/// `MPICommunicator` runs them over MPI; `LocalCommunicator` is the one-rank group used by
/// unit tests and single-process runs. Every rank must call the same collectives in the same
/// order with the same sizes.
public protocol Communicator: AnyObject {
    /// This process's rank, 0..<size. Rank 0 is the coordinator.
    var rank: Int { get }
    /// Number of ranks.
    var size: Int { get }
    /// Host name of this rank, for messages.
    var hostname: String { get }
    /// In-place elementwise sum over all ranks.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// In-place elementwise sum over all ranks.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// In-place elementwise maximum over all ranks.
    func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws
    /// Starts an in-place sum; the buffer must stay untouched until the reduction completes.
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction
    /// In-place elementwise sum of bfloat16 values (`BFloat16`) over all ranks, each partial
    /// sum rounded to bfloat16.
    func allreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws
    /// Starts an in-place bfloat16 sum; the buffer must stay untouched until it completes.
    func startAllreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws -> PendingReduction
    /// Copies `buffer` from `root` to every rank.
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Gathers `count` bytes from every rank into `receive` (`size` × `count` bytes, rank order).
    func allgather(_ send: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer) throws
    /// Waits until every rank arrives.
    func barrier() throws
    /// Ends every rank's process with `code` (after this rank has printed why).
    func abort(code: Int32) -> Never
}

/// A reduction in flight.
public protocol PendingReduction: AnyObject {
    /// Progresses the reduction; true once complete.
    func test() throws -> Bool
    /// Blocks until complete.
    func wait() throws
}

extension Communicator {
    /// Broadcasts a UTF-8 string from `root` (length first, then bytes).
    public func broadcast(_ string: String, root: Int) throws -> String {
        var length = Int64(string.utf8.count)
        try withUnsafeMutableBytes(of: &length) { try broadcast($0, root: root) }
        var bytes = rank == root ? Array(string.utf8) : [UInt8](repeating: 0, count: Int(length))
        try bytes.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Every rank's string, in rank order (each cut to `maxBytes` UTF-8 bytes).
    public func allgather(_ string: String, maxBytes: Int = 128) throws -> [String] {
        var mine = Array(string.utf8.prefix(maxBytes))
        mine += [UInt8](repeating: 0, count: maxBytes - mine.count)
        var all = [UInt8](repeating: 0, count: maxBytes * size)
        try mine.withUnsafeBytes { send in try all.withUnsafeMutableBytes { try allgather(send, into: $0) } }
        return (0..<size).map { r in
            String(decoding: all[(r * maxBytes)..<((r + 1) * maxBytes)].prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Sums a few Doubles over all ranks and returns them (for metrics).
    public func sum(_ values: [Double]) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try allreduceSum($0) }
        return v
    }

    /// "rank r@host", the prefix of every per-rank message.
    public var rankTag: String { "rank \(rank)@\(hostname)" }
}

/// A failed collective or runtime call.
public struct CommunicatorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
