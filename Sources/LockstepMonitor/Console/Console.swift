import Foundation

/// This process's output: lines to standard output and errors to standard error, each also
/// appended to the rank's log file once one is open (lines printed before are kept and
/// written then), and at most one live progress bar on standard output, which other output
/// clears and redraws so that nothing is drawn over.
public final class Console: @unchecked Sendable {
    public static let shared = Console()

    private let lock = NSLock()
    private var log: RankLog?
    /// Lines printed before the log file was opened, with their times.
    private var early: [(Date, String)] = []
    /// The terminal a bar is drawn on (nil: no bars, plain lines).
    private var terminal: Terminal?
    /// The bar on screen now, as drawn.
    private var bar: String?
    private var lastDraw = 0.0
    /// Seconds between redraws of a bar.
    public var redrawInterval = 0.1

    public init() {}

    /// Starts the rank's log file; what was printed so far goes into it first.
    public func startLog(_ log: RankLog) {
        lock.withLock {
            for (date, line) in early { log.write(line, at: date) }
            early = []
            self.log = log
        }
    }

    /// The open log file, if any (its descriptor goes to the crash handler).
    public var logFile: RankLog? { lock.withLock { log } }

    /// Tells the terminal's width now (it changes when the window is resized).
    private var columns: (() -> Int?)?

    /// Draws bars on `terminal` from now on (nil: plain lines only); `columns`, asked at each
    /// redraw, follows the window's width.
    public func drawBars(on terminal: Terminal?, columns: (() -> Int?)? = nil) {
        lock.withLock {
            self.terminal = terminal
            self.columns = columns
        }
    }

    /// A line on standard output (and in the log).
    public func line(_ text: String) {
        lock.withLock {
            record(text)
            emit(text + "\n", to: STDOUT_FILENO)
        }
    }

    /// A line on standard error (and in the log), e.g. `rank 3@node2: error: …`. While bars
    /// are drawn it goes to standard output instead, the terminal both show: under mpirun the
    /// two are separate pipes, and a line on one would land in the middle of the bar on the other.
    public func error(_ text: String) {
        lock.withLock {
            record(text)
            emit(text + "\n", to: terminal == nil ? STDERR_FILENO : STDOUT_FILENO)
        }
    }

    /// The last lines of a process (the error or stop that ends it): the bar is erased for
    /// good first, so the screen ends with the message and the prompt on a line of its own.
    public func final(_ text: String) {
        lock.withLock {
            eraseBar()
            bar = nil
            record(text)
            write(text + "\n", to: terminal == nil ? STDERR_FILENO : STDOUT_FILENO)
        }
    }

    /// A line for the log file only (what a bar stands for on the screen).
    public func logOnly(_ text: String) {
        lock.withLock { record(text) }
    }

    /// Redraws the bar, at most every `redrawInterval` seconds unless `force`.
    public func show(_ progress: Progress, force: Bool = false) {
        lock.withLock {
            guard var terminal else { return }
            let now = ProcessInfo.processInfo.systemUptime
            guard force || now - lastDraw >= redrawInterval else { return }
            lastDraw = now
            if let width = columns?() {
                terminal.columns = width
                self.terminal = terminal
            }
            let text = ProgressBar.line(progress, on: terminal)
            bar = text
            write("\r" + text + "\u{1B}[K", to: STDOUT_FILENO)
        }
    }

    /// Replaces the bar by `summary` (a line, also logged); with no summary the bar is erased.
    public func endBar(with summary: String?) {
        lock.withLock {
            eraseBar()
            bar = nil
            if let summary {
                record(summary)
                write(summary + "\n", to: STDOUT_FILENO)
            }
        }
    }

    private func record(_ text: String) {
        if let log { log.write(text) } else { early.append((Date(), text)) }
    }

    /// Writes `text` above the bar: clear it, write, draw it again.
    private func emit(_ text: String, to fd: Int32) {
        guard let bar else { return write(text, to: fd) }
        eraseBar()
        write(text, to: fd)
        write(bar + "\u{1B}[K", to: STDOUT_FILENO)
    }

    /// Clears the line the bar is on, if one is drawn (the cursor goes to its start).
    private func eraseBar() {
        if bar != nil { write("\r\u{1B}[K", to: STDOUT_FILENO) }
    }

    /// write(2) after flushing stdio, so that lines `print` buffered come first.
    private func write(_ text: String, to fd: Int32) {
        fflush(nil)
        writeAll(text, to: fd)
    }
}
