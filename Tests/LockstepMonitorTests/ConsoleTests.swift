import Foundation
import LockstepMonitor
import XCTest

final class ConsoleTests: XCTestCase {
    let wide = Terminal(columns: 160, color: false, unicode: true)

    func testBarShowsEveryFieldWhenItFits() {
        let p = Progress(title: "epoch 2/5", done: 412, total: 938, elapsed: 7, runRemaining: 41, samplesPerSecond: 18_300,
                         loss: 0.41234, accuracy: 0.8521, learningRate: 0.05)
        let line = ProgressBar.line(p, on: wide)
        for field in ["epoch 2/5 ▕", "412/938  44%", "0:07<0:09", "run 0:41 left", "18.3k samples/s", "loss 0.4123", "acc  85.21%", "lr 0.05"] {
            XCTAssertTrue(line.contains(field), "\(field) missing from \(line)")
        }
        XCTAssertLessThan(line.count, 160)
    }

    func testNarrowTerminalDropsLeastUsefulFieldsFirstAndNeverWraps() {
        let p = Progress(title: "epoch 2/5", done: 412, total: 938, elapsed: 7, runRemaining: 41, samplesPerSecond: 18_300,
                         loss: 0.41234, accuracy: 0.8521, learningRate: 0.05)
        for columns in [20, 40, 60, 80, 100] {
            let line = ProgressBar.line(p, on: Terminal(columns: columns, color: false, unicode: true))
            XCTAssertLessThan(line.count, columns, "at \(columns): \(line)")
        }
        let eighty = ProgressBar.line(p, on: Terminal(columns: 80, color: false, unicode: true))
        XCTAssertTrue(eighty.contains("loss 0.4123") && eighty.contains("run 0:41 left"), eighty)
        XCTAssertFalse(eighty.contains("lr 0.05") || eighty.contains("samples/s"), eighty)
    }

    func testBarGraphicFillsInEighthsOrHashes() {
        let half = Progress(title: "eval", done: 5, total: 10, elapsed: 1)
        let unicode = ProgressBar.line(half, on: Terminal(columns: 70, color: false, unicode: true))
        XCTAssertTrue(unicode.contains("▕" + String(repeating: "█", count: 9)), unicode)
        let ascii = ProgressBar.line(half, on: Terminal(columns: 70, color: false, unicode: false))
        XCTAssertEqual(ascii.filter { $0 == "#" }.count, ascii.filter { $0 == "-" }.count, ascii)
        XCTAssertTrue(ascii.contains("[###"), ascii)
        let colored = ProgressBar.line(half, on: Terminal(columns: 70, color: true, unicode: false))
        XCTAssertTrue(colored.contains("\u{1B}[32m#"), colored)
        XCTAssertFalse(ascii.contains("\u{1B}"))
    }

    func testBarKeepsItsWidthAsNumbersGrow() {
        let lengths = [(1, 3.0), (9, 950.0), (99, 18_300.0), (938, 1_250_000.0)].map { done, rate in
            ProgressBar.line(Progress(title: "epoch 1/5", done: done, total: 938, elapsed: 0.005 * Double(done), samplesPerSecond: rate, loss: 0.5,
                                      accuracy: done == 1 ? 0.05 : 0.85), on: wide).count
        }
        XCTAssertEqual(Set(lengths).count, 1, "\(lengths)")
    }

    func testClockAndETA() {
        XCTAssertEqual(ProgressBar.clock(7), "0:07")
        XCTAssertEqual(ProgressBar.clock(724), "12:04")
        XCTAssertEqual(ProgressBar.clock(3753), "1:02:33")
        XCTAssertEqual(Progress(title: "", done: 10, total: 40, elapsed: 5).remaining, 15)
        XCTAssertNil(Progress(title: "", done: 0, total: 40, elapsed: 5).remaining)
    }

    func testRankLogStampsEveryLineAndKeepsWhatWasPrintedBefore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let console = Console()
        console.logOnly("before the log")
        try console.startLog(RankLog(directory: dir, rank: 3))
        console.logOnly("two\nlines")
        try console.startLog(RankLog(directory: dir, rank: 3))  // a second invocation appends
        console.logOnly("resumed")
        let lines = try String(contentsOfFile: dir + "/rank-3.log", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.map { $0.split(separator: " ", maxSplits: 1)[1] }, ["before the log", "two", "lines", "resumed"])
        XCTAssertTrue(lines.allSatisfy { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "#, options: .regularExpression) != nil })
        XCTAssertEqual(RankLog.timestamp(Date(timeIntervalSince1970: 1_795_426_867.512)), "2026-11-23T09:41:07.512Z")
    }
}
