import Foundation

/// Whether a training set's stored inputs are kept in memory (`data.cache`).
///
/// A shuffled batch touches its samples one by one: from the files that is an HDF5 read per
/// sample (about 16 µs each for a 784-byte Fashion-MNIST image on a warm page cache), work the
/// loader thread takes from the cores the ranks compute on. From memory it is a copy. Every
/// rank keeps its own copy (the global shuffle sends every shard to every rank).
public enum InputCache: String, Sendable, CaseIterable {
    /// In memory when every rank's copy together takes at most 1/8 of the node's memory.
    case auto
    /// In memory; an error when the copies would take more than half the node's memory.
    case memory
    /// Read from the files batch by batch.
    case none

    /// Whether a set of `storedBytes` is kept in memory on a node of `physicalMemory` bytes
    /// running `ranksPerNode` ranks; `what` names the set in the error.
    public func keeps(storedBytes: Int, ranksPerNode: Int, physicalMemory: UInt64, what: String) throws -> Bool {
        let copies = Double(storedBytes) * Double(max(ranksPerNode, 1)), memory = Double(physicalMemory)
        switch self {
        case .none: return false
        case .auto: return copies <= memory / 8
        case .memory:
            guard copies <= memory / 2 else {
                let ranks = max(ranksPerNode, 1)
                throw DataError("data.cache: memory: \(what) takes \(gb(Double(storedBytes))) GB per rank, \(gb(copies)) GB for the \(ranks) "
                                + "ranks on this node, more than half its \(gb(memory)) GB; use data.cache: none (or auto)")
            }
            return true
        }
    }

    /// This node's memory for the ranks: the machine's, or a container's (cgroup) limit if lower.
    public static func nodeMemory() -> UInt64 {
        let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"].compactMap { path in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return ([ProcessInfo.processInfo.physicalMemory] + limits).min()!
    }

    private func gb(_ bytes: Double) -> String { String(format: "%.2f", bytes / 1e9) }
}
