import Foundation

/// How far a loop (an epoch's steps, an evaluation's batches) has come: what one redraw of
/// its bar shows.
public struct Progress: Sendable {
    /// "epoch 2/5", "eval".
    public var title: String
    public var done: Int
    public var total: Int
    /// Seconds since the loop started.
    public var elapsed: Double
    /// Seconds left in the whole run, when known.
    public var runRemaining: Double?
    public var samplesPerSecond: Double?
    public var loss: Double?
    public var accuracy: Double?
    public var learningRate: Double?
    /// Of this loop's `done`, those taken since `elapsed` began (fewer when a resumed run
    /// starts in the middle of an epoch): the pace for the ETA.
    public var doneSinceStart: Int

    public init(title: String, done: Int, total: Int, elapsed: Double, runRemaining: Double? = nil,
                samplesPerSecond: Double? = nil, loss: Double? = nil, accuracy: Double? = nil, learningRate: Double? = nil,
                doneSinceStart: Int? = nil) {
        self.doneSinceStart = doneSinceStart ?? done
        self.title = title
        self.done = done
        self.total = total
        self.elapsed = elapsed
        self.runRemaining = runRemaining
        self.samplesPerSecond = samplesPerSecond
        self.loss = loss
        self.accuracy = accuracy
        self.learningRate = learningRate
    }

    /// Seconds left in this loop at its pace so far (nil before its first step).
    public var remaining: Double? {
        doneSinceStart > 0 ? elapsed / Double(doneSinceStart) * Double(max(total - done, 0)) : nil
    }
}

/// Draws a `Progress` as one terminal line of at most `terminal.columns` characters:
///
///     epoch 2/5 ▕██████▌     ▏ 412/938  44%  0:07<0:09  run 0:41 left  loss 0.4123  acc  85.21%  18.3k samples/s  lr 0.05
///
/// Fields that do not fit are dropped, least useful first (lr, rate, accuracy, the run's
/// ETA); the bar itself takes what is left, 10 to 30 cells.
public enum ProgressBar {
    public static func line(_ p: Progress, on terminal: Terminal) -> String {
        let fraction = p.total > 0 ? min(Double(p.done) / Double(p.total), 1) : 0
        let digits = String(p.total).count
        // Fixed widths where numbers grow, so the bar does not jump as they change.
        let count = String(repeating: " ", count: max(0, digits - String(p.done).count)) + "\(p.done)/\(p.total) "
            + String(format: "%3.0f%%", 100 * fraction)
        let eta = clock(p.elapsed) + "<" + (p.remaining.map(clock) ?? "?")
        // In display order; `drop` is the order they go in when the line is too long.
        var fields: [(text: String, drop: Int)] = []
        if let r = p.runRemaining { fields.append(("run " + clock(r) + " left", 3)) }
        if let loss = p.loss { fields.append(("loss " + String(format: "%.4f", loss), 4)) }
        if let acc = p.accuracy { fields.append(("acc " + String(format: "%6.2f%%", 100 * acc), 2)) }
        if let rate = p.samplesPerSecond { fields.append((Self.rate(rate), 1)) }
        if let lr = p.learningRate { fields.append(("lr " + String(format: "%-9.3g", lr), 0)) }
        let minimumBar = 10, maximumBar = 30
        // title, space, bar, space, then the fields two spaces apart; three columns spare (a
        // typed ^C echoes there without wrapping the line).
        func width(_ kept: [(text: String, drop: Int)]) -> Int {
            p.title.count + 2 + ([count, eta] + kept.map(\.text)).reduce(0) { $0 + $1.count + 2 } - 2 + 3
        }
        while let least = fields.min(by: { $0.drop < $1.drop }), width(fields) + minimumBar > terminal.columns {
            fields.removeAll { $0.drop == least.drop }
        }
        let cells = max(0, min(maximumBar, terminal.columns - width(fields)))
        let tail = ([count, eta] + fields.map(\.text)).joined(separator: "  ")
        guard cells >= minimumBar else { return String((p.title + " " + tail).prefix(max(terminal.columns - 3, 0))) }
        return (p.title + " " + graphic(fraction, cells: cells, on: terminal) + " " + tail).replacingOccurrences(of: #" +$"#, with: "", options: .regularExpression)
    }

    /// The bar: `cells` characters between end marks, eighths of a cell in Unicode.
    static func graphic(_ fraction: Double, cells: Int, on terminal: Terminal) -> String {
        let inner = cells - 2
        let filled: String, empty: String
        if terminal.unicode {
            let eighths = Int((fraction * Double(inner * 8)).rounded(.down))
            let partial = eighths % 8 == 0 ? "" : String(Array("▏▎▍▌▋▊▉")[eighths % 8 - 1])
            filled = String(repeating: "█", count: eighths / 8) + partial
            empty = String(repeating: " ", count: inner - eighths / 8 - (partial.isEmpty ? 0 : 1))
        } else {
            let full = Int((fraction * Double(inner)).rounded(.down))
            filled = String(repeating: "#", count: full)
            empty = String(repeating: "-", count: inner - full)
        }
        let (open, close) = terminal.unicode ? ("▕", "▏") : ("[", "]")
        return open + (terminal.color ? "\u{1B}[32m" + filled + "\u{1B}[0m" : filled) + empty + close
    }

    /// 0:07, 12:04, 1:02:33.
    public static func clock(_ seconds: Double) -> String {
        let s = Int(max(seconds, 0).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// " 950 samples/s", "18.3k samples/s", "1.2M samples/s" (5 characters before the unit).
    static func rate(_ r: Double) -> String {
        let number = r >= 999_500 ? String(format: "%4.1fM", r / 1e6) : r >= 9_999.5 ? String(format: "%4.1fk", r / 1000) : String(format: "%5.0f", r)
        return number + " samples/s"
    }
}
