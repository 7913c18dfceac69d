import ArgumentParser
import Foundation
import LockstepMonitor

/// `lockstep plot RUN… [--metric M] [--by step|epoch] [--out FILE.svg|.png]`.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the curves of one or several runs (training and test) as SVG, or PNG.",
        discussion: "Reads each run directory's steps.csv (training values at every logged step) and metrics.csv (per epoch, with the test set's values). Metrics: loss, accuracy, lr, samples_per_sec, and the per-phase times (data_wait_ms, forward_ms, backward_ms, allreduce_ms, optimizer_ms, sync_ms). One colour per run; training solid, test dashed. PNG goes through rsvg-convert (librsvg2-bin) or ImageMagick, whichever is installed.")

    @Argument(help: "Run directories (what `lockstep train --out` names).") var runs: [String]

    @Option(help: "What to draw: loss, accuracy, lr, samples_per_sec, or a phase time such as forward_ms.")
    var metric = "loss"

    @Option(help: ArgumentHelp("The x axis: step (training at every logged step, test at epoch ends) or epoch.", valueName: "step|epoch"))
    var by = "step"

    @Option(help: ArgumentHelp("Output file, .svg or .png (default: METRIC.svg).", valueName: "FILE"))
    var out: String?

    func run() throws {
        do { try draw() } catch {
            FileHandle.standardError.write(Data("lockstep plot: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func draw() throws {
        guard let axis = RunCurves.XAxis(rawValue: by) else { throw MonitorError("--by is '\(by)'; expected step or epoch") }
        let names = Self.labels(runs)
        var series = try zip(runs, names).flatMap { try RunCurves.series(of: metric, in: $0.0, by: axis, name: $0.1) }
        let percent = metric.hasSuffix("accuracy")
        if percent { series = series.map { s in Series(run: s.run, split: s.split, points: s.points.map { ($0.x, 100 * $0.y) }) } }
        let yLabel = percent ? "\(metric) (%)" : metric
        let chart = SVGChart(title: "\(metric) by \(by): " + names.joined(separator: ", "), xLabel: by, yLabel: yLabel, series: series)
        let path = out ?? "\(metric).svg"
        let png = path.lowercased().hasSuffix(".png")
        guard png || path.lowercased().hasSuffix(".svg") else { throw MonitorError("--out \(path): write .svg or .png") }
        let svgPath = png ? path + ".svg" : path
        do { try chart.svg().write(toFile: svgPath, atomically: true, encoding: .utf8) } catch {
            throw MonitorError("\(svgPath): cannot write (\(error.localizedDescription))")
        }
        if png {
            defer { try? FileManager.default.removeItem(atPath: svgPath) }
            let tool = try Rasterizer.png(from: svgPath, to: path)
            print("lockstep plot: wrote \(path) (\(series.count) series, rasterized by \(tool))")
        } else {
            print("lockstep plot: wrote \(path) (\(series.count) series)")
        }
    }

    /// Each run's legend name: its directory's last component, or more of its path where two
    /// runs would share one.
    static func labels(_ runs: [String]) -> [String] {
        let last = runs.map { URL(fileURLWithPath: $0).lastPathComponent }
        return zip(runs, last).map { run, name in last.filter { $0 == name }.count > 1 ? run : name }
    }
}
