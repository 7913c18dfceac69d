import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LockstepMonitor
import XCTest

final class PlotTests: XCTestCase {
    func testAxisTicksAreRoundNumbersCoveringTheData() {
        let a = Axis(covering: [0.23, 2.31])
        XCTAssertEqual(a.lower, 0)
        XCTAssertEqual(a.upper, 2.5, accuracy: 1e-12)
        XCTAssertEqual(a.ticks.count, 6)
        XCTAssertEqual(a.label(a.ticks[1]), "0.5")
        let steps = Axis(covering: [10, 4690])
        XCTAssertEqual(steps.ticks.first, 0)
        XCTAssertEqual(steps.ticks.last, 5000)
        XCTAssertEqual(steps.label(1000), "1000")
        let flat = Axis(covering: [3, 3])
        XCTAssertLessThan(flat.lower, 3)
        XCTAssertGreaterThan(flat.upper, 3)
    }

    func testRunCurvesReadStepsAndMetrics() throws {
        let run = try makeRun()
        defer { try? FileManager.default.removeItem(atPath: run) }
        let byStep = try RunCurves.series(of: "loss", in: run, by: .step, name: "a")
        XCTAssertEqual(byStep.map(\.split), ["train", "test"])
        XCTAssertEqual(byStep[0].points.map(\.x), [10, 20, 30, 40])
        XCTAssertEqual(byStep[1].points.map(\.x), [20, 40])
        let byEpoch = try RunCurves.series(of: "accuracy", in: run, by: .epoch)
        XCTAssertEqual(byEpoch.map(\.points.count), [2, 2])
        XCTAssertThrowsError(try RunCurves.series(of: "bleu", in: run, by: .step)) {
            XCTAssertTrue("\($0)".contains("no 'bleu' recorded; metrics there:"), "\($0)")
            XCTAssertTrue("\($0)".contains("forward_ms"), "\($0)")
        }
        XCTAssertThrowsError(try RunCurves.series(of: "loss", in: run + "/nope", by: .step)) {
            XCTAssertTrue("\($0)".contains("nope/steps.csv: not found"), "\($0)")
        }
    }

    func testChartHasOnePolylinePerSeriesWithItsPoints() throws {
        let run = try makeRun()
        defer { try? FileManager.default.removeItem(atPath: run) }
        let series = try RunCurves.series(of: "loss", in: run, by: .step, name: "a<b")
        let svg = SVGChart(title: "loss", xLabel: "step", yLabel: "loss", series: series).svg()
        XCTAssertEqual(svg.components(separatedBy: #"class="series""#).count - 1, 2)
        XCTAssertTrue(svg.contains(#"data-run="a&lt;b" data-split="train" data-points="4""#), svg)
        XCTAssertTrue(svg.contains(#"data-split="test" data-points="2""#))
        XCTAssertTrue(svg.contains(">a&lt;b test</text>"))  // the legend
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "the SVG is not well-formed XML")
    }

    private func makeRun() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
            step,epoch,loss,accuracy,lr,samples_per_sec,forward_ms
            10,1,2.1,0.3,0.1,1000,1.5
            20,1,1.2,0.6,0.1,1100,1.4
            30,2,0.9,0.7,0.1,1050,1.4
            40,2,0.7,0.8,0.1,1080,1.3

            """.write(toFile: dir + "/steps.csv", atomically: true, encoding: .utf8)
        try """
            epoch,step,train_loss,train_accuracy,test_loss,test_accuracy,samples_per_sec,elapsed_s,skipped_steps
            1,20,1.6,0.45,1.0,0.65,1050,3.1,0
            2,40,0.8,0.75,0.8,0.78,1060,6.0,0

            """.write(toFile: dir + "/metrics.csv", atomically: true, encoding: .utf8)
        return dir
    }
}
