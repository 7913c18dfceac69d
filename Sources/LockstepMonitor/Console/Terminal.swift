import Foundation

/// What standard output is attached to: whether a live progress bar can be drawn there, how
/// wide it may be, and whether it may use colour and block characters.
public struct Terminal: Sendable, Equatable {
    /// Columns of the terminal (what a line may hold without wrapping).
    public var columns: Int
    /// ANSI colours allowed (`NO_COLOR` unset, `TERM` not `dumb`).
    public var color: Bool
    /// Unicode block characters allowed (a UTF-8 locale).
    public var unicode: Bool

    public init(columns: Int, color: Bool, unicode: Bool) {
        self.columns = columns
        self.color = color
        self.unicode = unicode
    }

    /// The terminal standard output shows on a person's screen, or nil (a file, a pipe, a
    /// Slurm log, a launcher that does not pass its terminal on).
    ///
    /// Under `mpirun`, Open MPI gives each local rank a pseudo-terminal of its own whatever
    /// mpirun's own output is, so a rank's `isatty(1)` says nothing: what counts is mpirun's
    /// standard output (the rank's parent on the launching host; a remote rank's parent is
    /// an orted daemon, whose output is no terminal). `srun` gives ranks a pipe unless `--pty`.
    public static func forStandardOutput(environment env: [String: String] = ProcessInfo.processInfo.environment) -> Terminal? {
        guard isatty(STDOUT_FILENO) == 1, env["TERM"] != "dumb" else { return nil }
        var columns = width(of: STDOUT_FILENO)
        if env["OMPI_COMM_WORLD_SIZE"] != nil {
            // The launcher's own standard output, seen through /proc.
            let fd = open("/proc/\(getppid())/fd/1", O_WRONLY | O_NOCTTY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            guard isatty(fd) == 1 else { return nil }
            columns = width(of: fd) ?? columns
        }
        var terminal = assumed(environment: env)
        if let columns { terminal.columns = columns }
        return terminal
    }

    /// What to assume of an output that is no known terminal but gets a bar anyway
    /// (`training.progress: bar`): `COLUMNS` or 100 wide, colour unless `NO_COLOR` (or
    /// `TERM=dumb`), block characters in a UTF-8 locale.
    public static func assumed(environment env: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        // POSIX: the first of these that is set and not empty.
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { env[$0] }.first { !$0.isEmpty } ?? ""
        return Terminal(columns: env["COLUMNS"].flatMap(Int.init) ?? 100,
                        color: (env["NO_COLOR"] ?? "").isEmpty && env["TERM"] != "dumb",
                        unicode: locale.uppercased().replacingOccurrences(of: "-", with: "").contains("UTF8"))
    }

    /// The width a terminal reports (nil when it reports none, as a fresh pseudo-terminal does).
    private static func width(of fd: Int32) -> Int? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
