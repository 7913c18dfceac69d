import Foundation
import LockstepTimeline
import XCTest

final class TimelineTests: XCTestCase {
    override func tearDown() { Timeline.active = nil }

    func testSpansAreRecordedOnlyWhileActive() {
        XCTAssertEqual(Timeline.span("ignored", .forward) { 7 }, 7)
        let t = Timeline(rank: 3)
        Timeline.active = t
        XCTAssertEqual(Timeline.span("conv1 \"Conv2D\"", .forward) { 8 }, 8)
        Timeline.active = nil
        _ = Timeline.span("after", .backward) { 0 }
        XCTAssertEqual(t.spans.map(\.name), ["conv1 \"Conv2D\""])
    }

    func testTraceIsValidChromeJSONWithOneProcessPerRank() throws {
        let a = Timeline(rank: 0), b = Timeline(rank: 1)
        let now = Timeline.now()
        a.record("forward", .forward, from: now, to: now + 2_000)
        b.record("bucket 0 (1024 KB)", .allreduce, from: now + 500, to: now + 1_500)
        let path = NSTemporaryDirectory() + "/timeline-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Timeline.writeTrace([a.traceEvents(), b.traceEvents()], to: path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let events = json["traceEvents"] as! [[String: Any]]
        let complete = events.filter { $0["ph"] as? String == "X" }
        XCTAssertEqual(Set(complete.map { $0["pid"] as! Int }), [0, 1])
        let bucket = complete.first { $0["cat"] as? String == "allreduce" }!
        XCTAssertEqual(bucket["dur"] as! Double, 1.0, accuracy: 1e-9)  // microseconds
        XCTAssertEqual(events.filter { $0["ph"] as? String == "M" }.count, 2)  // process names
    }

    func testTotalsCountNestedSpansOfACategoryOnce() {
        let t = Timeline(rank: 0)
        let z = Timeline.now()
        t.record("layer1", .forward, from: z + 100, to: z + 400)   // nested in "forward"
        t.record("forward", .forward, from: z, to: z + 1_000)
        t.record("optimizer", .optimizer, from: z + 1_000, to: z + 1_300)
        let totals = t.totals()
        XCTAssertEqual(totals[.forward], 1_000)
        XCTAssertEqual(totals[.optimizer], 300)
    }

    func testCapacityBoundsMemory() {
        let t = Timeline(rank: 0, capacity: 2)
        let z = Timeline.now()
        for _ in 0..<5 { t.record("x", .step, from: z, to: z + 1) }
        XCTAssertEqual(t.spans.count, 2)
        XCTAssertEqual(t.dropped, 3)
    }
}
