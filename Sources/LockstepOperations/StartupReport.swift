import Foundation
import LockstepDistributed
import LockstepHDF5
import LockstepTensor

/// Where a job runs, gathered from every rank at startup and printed once by rank 0: per host
/// its ranks, the BLAS threads per rank, the host's cores and the BLAS kernels; the MPI library
/// and the transport it was told to use; the HDF5 library. With a warning for every host whose
/// ranks × threads exceed its cores (each rank then waits for the slowest at every allreduce).
public struct StartupReport: Sendable {
    /// What one rank reports about itself.
    public struct Placement: Equatable, Sendable {
        public var host: String
        public var threads: Int
        public var cores: Int
        public var blasCore: String

        public init(host: String, threads: Int, cores: Int, blasCore: String) {
            self.host = host
            self.threads = threads
            self.cores = cores
            self.blasCore = blasCore
        }

        var encoded: String { "\(host)\t\(threads)\t\(cores)\t\(blasCore)" }

        init?(encoded: String) {
            let f = encoded.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let threads = Int(f[1]), let cores = Int(f[2]) else { return nil }
            self.init(host: f[0], threads: threads, cores: cores, blasCore: f[3])
        }
    }

    /// Every rank's placement, in rank order.
    public let ranks: [Placement]
    public let mpi: String
    public let transport: String
    public let hdf5: String

    public init(ranks: [Placement], mpi: String, transport: String, hdf5: String) {
        self.ranks = ranks
        self.mpi = mpi
        self.transport = transport
        self.hdf5 = hdf5
    }

    /// Gathers every rank's placement (a collective call).
    public static func gather(_ comm: any Communicator, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StartupReport {
        let mine = Placement(host: comm.hostname, threads: BLAS.threads, cores: ProcessInfo.processInfo.activeProcessorCount,
                             blasCore: BLASCore.name)
        let all = try comm.allgather(mine.encoded, maxBytes: 256).map { Placement(encoded: $0) ?? mine }
        let library = MPILibrary.version.split(separator: ",").first.map(String.init) ?? "MPI"
        return StartupReport(ranks: all, mpi: library, transport: transport(environment), hdf5: HDF5Library.version)
    }

    /// The transport Open MPI was told to use (its MCA variables reach every rank), or what it
    /// chooses by itself.
    package static func transport(_ env: [String: String]) -> String {
        var parts: [String] = []
        if let pml = env["OMPI_MCA_pml"] { parts.append("pml \(pml)") }
        if let btl = env["OMPI_MCA_btl"] { parts.append("btl \(btl)") }
        if let net = env["OMPI_MCA_btl_tcp_if_include"] { parts.append("TCP on \(net)") }
        return parts.isEmpty ? "transport of Open MPI's choice (shared memory within a host; UCX/InfiniBand or TCP between hosts)"
                             : parts.joined(separator: ", ")
    }

    /// Hosts in the order of their first rank, with their ranks.
    public var hosts: [(host: String, ranks: [Int])] {
        var order: [String] = [], members: [String: [Int]] = [:]
        for (r, p) in ranks.enumerated() {
            if members[p.host] == nil { order.append(p.host) }
            members[p.host, default: []].append(r)
        }
        return order.map { ($0, members[$0]!) }
    }

    /// The report's lines.
    public var lines: [String] {
        let hosts = self.hosts
        var out = ["lockstep: \(ranks.count) rank(s) on \(hosts.count) host(s); \(mpi), \(transport); HDF5 \(hdf5)"]
        for (host, members) in hosts {
            let first = ranks[members[0]]
            let threads = Set(members.map { ranks[$0].threads }).sorted().map(String.init).joined(separator: "/")
            let cores = Set(members.map { ranks[$0].cores }).sorted().map(String.init).joined(separator: "/")
            let kernels = Set(members.map { ranks[$0].blasCore }).sorted().joined(separator: "/")
            out.append("  \(host): \(Self.rankList(members)), \(threads) BLAS thread(s) per rank, \(cores) cores, BLAS \(kernels)"
                       + (first.threads * members.count > first.cores ? "  (oversubscribed)" : ""))
        }
        return out
    }

    /// One warning per host whose ranks × threads exceed its cores.
    public var warnings: [String] {
        hosts.compactMap { host, members in
            let first = ranks[members[0]]
            let budget = CoreBudget(ranksPerNode: members.count, threadsPerRank: first.threads, cores: first.cores)
            return budget.isOversubscribed ? "\(host): \(budget.summary): expect slowdowns; \(budget.advice)" : nil
        }
    }

    /// "rank 3", "ranks 0-3", "ranks 0, 2, 4-6".
    public static func rankList(_ members: [Int]) -> String {
        var runs: [String] = [], i = 0
        while i < members.count {
            var j = i
            while j + 1 < members.count && members[j + 1] == members[j] + 1 { j += 1 }
            runs.append(i == j ? "\(members[i])" : "\(members[i])-\(members[j])")
            i = j + 1
        }
        return (members.count == 1 ? "rank " : "ranks ") + runs.joined(separator: ", ")
    }
}
