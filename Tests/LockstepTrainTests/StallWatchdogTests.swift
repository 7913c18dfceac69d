import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain
import XCTest

final class StallWatchdogTests: XCTestCase {
    func testTheSummaryNamesTheRanksThatDidNotReport() {
        let wait0 = "rank 0@a: no progress for 31 s at step 42: waiting for the gradient allreduce"
        let wait2 = "rank 2@b: no progress for 31 s at step 42: waiting for the gradient allreduce"
        let text = StallWatchdog.summary(timeout: 30, hosts: ["a", "a", "b"], reports: [0: "waiting\n" + wait0, 2: "waiting\n" + wait2])
        XCTAssertEqual(text, """
            lockstep: stalled: no progress for 30 s (training.stall_timeout); ending the job with exit code 76
              holding the job up:
                rank 1@a (did not report: stopped, hung or dead)
              waiting for them:
                \(wait0)
                \(wait2)
              resume with --resume auto: the last checkpoint is intact
            """)
        // A rank stuck in its own work (here continued after a stop, so it reported too) holds the others up.
        let late = "rank 1@a: no progress for 37 s at step 42: forward and backward"
        let both = StallWatchdog.summary(timeout: 30, hosts: ["a", "a", "b"],
                                         reports: [0: "waiting\n" + wait0, 1: "working\n" + late, 2: "waiting\n" + wait2])
        XCTAssert(both.contains("holding the job up:\n    \(late)\n  waiting for them:"), both)
    }

    /// A rank that keeps marking phases never fires, and a stopped watchdog never fires.
    func testMarkingAndStoppingKeepTheProcessAlive() {
        let dog = StallWatchdog(timeout: 0.5, rank: 0, hosts: ["a"], reportDirectory: NSTemporaryDirectory() + "/stall-test-\(getpid())")
        dog.start()
        for step in 0..<20 {
            dog.mark("forward and backward", step: step)
            Thread.sleep(forTimeInterval: 0.1)
        }
        dog.stop()
        Thread.sleep(forTimeInterval: 1)  // past the timeout: a firing watchdog would have ended this process
        XCTAssertFalse(FileManager.default.fileExists(atPath: dog.reportDirectory + "/rank-0"))
    }
}
