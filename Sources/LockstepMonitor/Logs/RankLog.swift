import Foundation

/// One rank's log file, `RUN/logs/rank-R.log`: every line the rank prints, each with a UTC
/// timestamp, appended with one write(2) per line and no buffer in between, so a line is on
/// disk even if the process is killed right after, or the launcher drops its output.
/// A resumed run appends to the file of the run before.
public final class RankLog: @unchecked Sendable {
    public let path: String
    /// The open file (for the crash handler, which may only write(2)).
    public let fileDescriptor: Int32

    public init(directory: String, rank: Int) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MonitorError("\(directory): cannot create the log directory (\(error.localizedDescription))")
        }
        path = directory + "/rank-\(rank).log"
        fileDescriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fileDescriptor >= 0 else { throw MonitorError("\(path): cannot open for appending (\(String(cString: strerror(errno))))") }
    }

    deinit { close(fileDescriptor) }

    /// Appends `text` (one or several lines), each line stamped with `date`.
    public func write(_ text: String, at date: Date = Date()) {
        let stamp = Self.timestamp(date)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { stamp + " " + $0 }
        writeAll(lines.joined(separator: "\n") + "\n", to: fileDescriptor)
    }

    /// 2026-11-23T09:41:07.512Z
    public static func timestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        let millis = min(Int((seconds - seconds.rounded(.down)) * 1000), 999)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, millis)
    }
}

/// A monitoring failure (a log or event file that cannot be written, a run that cannot be
/// plotted), saying which file and why.
public struct MonitorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
