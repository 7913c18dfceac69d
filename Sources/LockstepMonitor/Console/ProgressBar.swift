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

    public init(title: String, done: Int, total: Int, elapsed: Double, runRemaining: Double? = nil,
                samplesPerSecond: Double? = nil, loss: Double? = nil, accuracy: Double? = nil, learningRate: Double? = nil) {
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
        done > 0 ? elapsed / Double(done) * Double(max(total - done, 0)) : nil
    }
}

/// Draws a `Progress` as one terminal line of at most `terminal.columns` characters:
///
///     epoch 2/5 ▕██████▌     ▏ 412/938  44% 0:07<0:09 run 0:41  18.3k samples/s  loss 0.4123  acc 85.21%  lr 0.05
///
/// Fields that do not fit are dropped, least useful first (lr, run ETA, rate, accuracy…);
/// the bar itself takes what is left, 10 to 30 cells.
public enum ProgressBar {
    public static func line(_ p: Progress, on terminal: Terminal) -> String {
        let fraction = p.total > 0 ? min(Double(p.done) / Double(p.total), 1) : 0
        let head = p.title
        let count = "\(p.done)/\(p.total) " + String(format: "%3.0f%%", 100 * fraction)
        let eta = clock(p.elapsed) + "<" + (p.remaining.map(clock) ?? "?")
        // In the order they are dropped when the line is too long.
        var optional: [(text: String, keep: Bool)] = [
            ("lr " + String(format: "%.4g", p.learningRate ?? 0), p.learningRate != nil),
            ("run " + clock(p.runRemaining ?? 0) + " left", p.runRemaining != nil),
            (rate(p.samplesPerSecond ?? 0), p.samplesPerSecond != nil),
            ("acc " + String(format: "%.2f%%", 100 * (p.accuracy ?? 0)), p.accuracy != nil),
            ("loss " + String(format: "%.4f", p.loss ?? 0), p.loss != nil),
        ].filter(\.keep)
        let minimumBar = 10, maximumBar = 30
        func width(_ fields: [(text: String, keep: Bool)]) -> Int {
            ([head, count, eta] + fields.map(\.text)).reduce(0) { $0 + $1.count } + 2 * (fields.count + 3) + 2
        }
        while !optional.isEmpty && width(optional) + minimumBar >= terminal.columns { optional.removeFirst() }
        let cells = max(0, min(maximumBar, terminal.columns - 1 - width(optional)))
        let tail = [count, eta] + optional.reversed().map(\.text)
        let bar = cells >= minimumBar ? graphic(fraction, cells: cells, on: terminal) + " " : ""
        let text = head + " " + bar + tail.joined(separator: "  ")
        return cells >= minimumBar ? text : String(text.prefix(max(terminal.columns - 1, 0)))
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

    /// 950 samples/s, 18.3k samples/s.
    static func rate(_ r: Double) -> String {
        (r >= 10_000 ? String(format: "%.1fk", r / 1000) : String(format: "%.0f", r)) + " samples/s"
    }
}
