import Foundation

/// A line chart as SVG: axes with ticks, grid and labels, one colour per run, training
/// values as solid lines and test values dashed with a dot per point, and a legend. Each
/// line is a `<polyline class="series" data-run=… data-split=…>`, which tests (and
/// scripts) can find.
public struct SVGChart {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 860.0
    public var height = 520.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Tableau's ten colours, one per run in order.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public func svg() -> String {
        let (left, right, top, bottom) = (78.0, 24.0, 44.0, 58.0)
        let plotW = width - left - right, plotH = height - top - bottom
        let xAxis = Axis(covering: series.flatMap { $0.points.map(\.x) }, integers: true)
        let yAxis = Axis(covering: series.flatMap { $0.points.map(\.y) })
        func px(_ x: Double) -> Double { left + xAxis.position(x) * plotW }
        func py(_ y: Double) -> Double { top + (1 - yAxis.position(y)) * plotH }
        var out = [#"<svg xmlns="http://www.w3.org/2000/svg" width="\#(f(width))" height="\#(f(height))" viewBox="0 0 \#(f(width)) \#(f(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">"#,
                   #"<rect width="100%" height="100%" fill="white"/>"#,
                   #"<text x="\#(f(width / 2))" y="26" text-anchor="middle" font-size="16">\#(escape(title))</text>"#]
        for tick in xAxis.ticks {
            out.append(#"<line x1="\#(f(px(tick)))" y1="\#(f(top))" x2="\#(f(px(tick)))" y2="\#(f(top + plotH))" stroke="rgb(229,229,229)"/>"#)
            out.append(#"<text class="xtick" x="\#(f(px(tick)))" y="\#(f(top + plotH + 18))" text-anchor="middle">\#(xAxis.label(tick))</text>"#)
        }
        for tick in yAxis.ticks {
            out.append(#"<line x1="\#(f(left))" y1="\#(f(py(tick)))" x2="\#(f(left + plotW))" y2="\#(f(py(tick)))" stroke="rgb(229,229,229)"/>"#)
            out.append(#"<text class="ytick" x="\#(f(left - 8))" y="\#(f(py(tick) + 4))" text-anchor="end">\#(yAxis.label(tick))</text>"#)
        }
        out.append(#"<rect x="\#(f(left))" y="\#(f(top))" width="\#(f(plotW))" height="\#(f(plotH))" fill="none" stroke="rgb(51,51,51)"/>"#)
        out.append(#"<text x="\#(f(left + plotW / 2))" y="\#(f(height - 14))" text-anchor="middle">\#(escape(xLabel))</text>"#)
        out.append(#"<text transform="translate(20 \#(f(top + plotH / 2))) rotate(-90)" text-anchor="middle">\#(escape(yLabel))</text>"#)
        let runs = series.map(\.run).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for s in series {
            let color = Self.palette[(runs.firstIndex(of: s.run) ?? 0) % Self.palette.count]
            let points = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = s.split == "train" ? "" : #" stroke-dasharray="6 4""#
            out.append(#"<polyline class="series" data-run="\#(escape(s.run))" data-split="\#(s.split)" data-points="\#(s.points.count)" fill="none" stroke="\#(color)" stroke-width="1.8"\#(dash) points="\#(points)"/>"#)
            if s.split != "train" || s.points.count == 1 {
                for p in s.points { out.append(#"<circle cx="\#(f(px(p.x)))" cy="\#(f(py(p.y)))" r="3" fill="\#(color)"/>"#) }
            }
        }
        // The corner whose box covers the fewest points (right before left, top before bottom).
        let boxW = 44 + 7.5 * Double(series.map { "\($0.run) \($0.split)".count }.max() ?? 0), boxH = 8 + 20 * Double(series.count)
        let corners = [(left + plotW - 10, top + 10), (left + plotW - 10, top + plotH - 10 - boxH),
                       (left + 10 + boxW, top + 10), (left + 10 + boxW, top + plotH - 10 - boxH)]
        let pixels = series.flatMap { $0.points.map { (px($0.x), py($0.y)) } }
        let corner = corners.min { a, b in
            func covered(_ c: (Double, Double)) -> Int {
                pixels.count { $0.0 >= c.0 - boxW - 6 && $0.0 <= c.0 + 6 && $0.1 >= c.1 - 6 && $0.1 <= c.1 + boxH + 6 }
            }
            return covered(a) < covered(b)
        }!
        out += legend(runs: runs, x: corner.0, y: corner.1)
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// One entry per series, in a box at the plot's top right corner.
    private func legend(runs: [String], x: Double, y: Double) -> [String] {
        let entries = series.map { s in (label: "\(s.run) \(s.split)", color: Self.palette[(runs.firstIndex(of: s.run) ?? 0) % Self.palette.count], dashed: s.split != "train") }
        let boxW = 44 + 7.5 * Double(entries.map(\.label.count).max() ?? 0), boxH = 8 + 20 * Double(entries.count)
        var out = [#"<g class="legend"><rect x="\#(f(x - boxW))" y="\#(f(y))" width="\#(f(boxW))" height="\#(f(boxH))" fill="white" fill-opacity="0.9" stroke="rgb(153,153,153)"/>"#]
        for (i, e) in entries.enumerated() {
            let ly = y + 16 + 20 * Double(i)
            out.append(#"<line x1="\#(f(x - boxW + 8))" y1="\#(f(ly - 4))" x2="\#(f(x - boxW + 34))" y2="\#(f(ly - 4))" stroke="\#(e.color)" stroke-width="2"\#(e.dashed ? #" stroke-dasharray="6 4""# : "")/>"#)
            out.append(#"<text x="\#(f(x - boxW + 40))" y="\#(f(ly))">\#(escape(e.label))</text>"#)
        }
        out.append("</g>")
        return out
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
