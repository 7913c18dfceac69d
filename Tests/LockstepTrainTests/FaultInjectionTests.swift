import LockstepTrain
import XCTest

final class FaultInjectionTests: XCTestCase {
    func testTheEnvironmentNamesTheFault() throws {
        XCTAssertEqual(try FaultInjection.fromEnvironment([:]), FaultInjection())
        XCTAssertEqual(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": ""]), FaultInjection())
        XCTAssertEqual(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": "checkpoint-write:2"]),
                       FaultInjection(killDuringCheckpoint: 2))
        for spec in ["checkpoint-write:0", "checkpoint-write:x", "hang:3"] {
            XCTAssertThrowsError(try FaultInjection.fromEnvironment(["LOCKSTEP_FAULT_INJECTION": spec]), spec) {
                XCTAssert("\($0)".contains("LOCKSTEP_FAULT_INJECTION=\(spec): expected checkpoint-write:N"), "\($0)")
            }
        }
    }
}
