import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain
import XCTest

final class ReplicaFingerprintTests: XCTestCase {
    func testTheRanksAwayFromTheMostCommonFingerprintAreNamed() {
        XCTAssertNil(ReplicaFingerprint.divergentRanks([7, 7, 7]))
        XCTAssertEqual(ReplicaFingerprint.divergentRanks([7, 9, 7]), [1])
        XCTAssertEqual(ReplicaFingerprint.divergentRanks([9, 7, 7, 7]), [0], "rank 0 can be the odd one")
        XCTAssertEqual(ReplicaFingerprint.divergentRanks([7, 9]), [1], "a tie keeps the lowest rank's")
        XCTAssertEqual(ReplicaFingerprint.divergentRanks([5, 9, 9, 7, 7]), [0, 3, 4], "a tie between others keeps the lowest rank's among them")
    }
}
