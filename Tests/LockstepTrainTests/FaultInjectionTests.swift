import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain
import XCTest

final class FaultInjectionTests: XCTestCase {
    func testTheEnvironmentNamesTheFault() throws {
        XCTAssertEqual(try FaultInjection.fromEnvironment([:]), FaultInjection())
        XCTAssertEqual(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": ""]), FaultInjection())
        XCTAssertEqual(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": "checkpoint-write:2"]),
                       FaultInjection(killDuringCheckpoint: 2))
        XCTAssertEqual(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": "perturb:1:30,checkpoint-write:3"]),
                       FaultInjection(killDuringCheckpoint: 3, perturb: (1, 30)))
        for spec in ["checkpoint-write:0", "checkpoint-write:x", "hang:3", "perturb:1", "perturb:1:x", "perturb:-1:3"] {
            XCTAssertThrowsError(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": spec]), spec) {
                XCTAssert("\($0)".contains("LOCKSTEP_FAULT_INJECTION=\(spec): expected a comma-separated list"), "\($0)")
            }
        }
    }
}
