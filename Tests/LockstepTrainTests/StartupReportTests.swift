import LockstepDistributed
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain
import XCTest

/// The startup banner's grouping by host, its oversubscription warnings, and the collective
/// agreement that names every rank that failed.
final class StartupReportTests: XCTestCase {
    func placement(_ host: String, threads: Int = 1, cores: Int = 4) -> StartupReport.Placement {
        .init(host: host, threads: threads, cores: cores, blasCore: "Haswell")
    }

    func testGroupsRanksByHostInRankOrder() {
        let report = StartupReport(ranks: [placement("n1"), placement("n1"), placement("n2"), placement("n1"), placement("n3", threads: 2)],
                                   mpi: "Open MPI v4.1.4", transport: "btl self,tcp", hdf5: "1.10.8")
        XCTAssertEqual(report.hosts.map(\.host), ["n1", "n2", "n3"])
        XCTAssertEqual(report.hosts.map(\.ranks), [[0, 1, 3], [2], [4]])
        XCTAssertEqual(report.lines[0], "lockstep: 5 rank(s) on 3 host(s); Open MPI v4.1.4, btl self,tcp; HDF5 1.10.8")
        XCTAssertEqual(report.lines[1], "  n1: ranks 0-1, 3, 1 BLAS thread(s) per rank, 4 cores, BLAS Haswell")
        XCTAssertEqual(report.lines[3], "  n3: rank 4, 2 BLAS thread(s) per rank, 4 cores, BLAS Haswell")
        XCTAssert(report.warnings.isEmpty)
    }

    func testWarnsForEachOversubscribedHost() {
        let report = StartupReport(ranks: [placement("a", threads: 2, cores: 2), placement("a", threads: 2, cores: 2), placement("b", threads: 2, cores: 2)],
                                   mpi: "MPI", transport: "", hdf5: "")
        XCTAssertEqual(report.warnings.count, 1)
        XCTAssert(report.warnings[0].hasPrefix("a: 2 rank(s) × 2 BLAS thread(s) per node, 2 cores"), report.warnings[0])
        XCTAssert(report.lines[1].hasSuffix("(oversubscribed)"))
    }

    func testRankLists() {
        XCTAssertEqual(StartupReport.rankList([7]), "rank 7")
        XCTAssertEqual(StartupReport.rankList([0, 1, 2, 3]), "ranks 0-3")
        XCTAssertEqual(StartupReport.rankList([0, 2, 4, 5, 6]), "ranks 0, 2, 4-6")
    }

    /// The same error on every rank (here the only one) is said once, as it is.
    func testAgreementNamesTheFailingRankAndItsError() {
        let comm = LocalCommunicator()
        XCTAssertEqual(try comm.agreeing(on: "opening", partialHint: "hint") { 42 }, 42)
        XCTAssertThrowsError(try comm.agreeing(on: "opening the data", partialHint: "hint") { () throws -> Int in
            throw CommunicatorError("data/x.h5: no such file")
        }) { error in
            XCTAssert(error is AgreedFailure)
            XCTAssertEqual("\(error)", "data/x.h5: no such file")
        }
    }
}
