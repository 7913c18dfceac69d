import Foundation
import LockstepDistributed
import LockstepOperations

/// What `lockstep runs DIR` shows: one row per run directory under DIR (a directory holding a
/// recipe.yaml that `lockstep train` wrote), read from its status.json, summary.json,
/// metrics.csv and steps.csv.
public struct RunRow: Sendable, Equatable {
    public var name: String
    public var status: String
    public var steps: Int?
    public var bestTestAccuracy: Double?
    public var finalTestAccuracy: Double?
    public var wallSeconds: Double?
    public var worldSize: Int?
}

public enum RunTable {
    /// The run directories directly under `directory`, by name. `isAlive(pid)` tells whether
    /// a process of this host still runs (a run left "running" by a killed job is not).
    public static func rows(in directory: String, host: String = LocalCommunicator().hostname,
                            isAlive: (Int32) -> Bool = { kill($0, 0) == 0 }) throws -> [RunRow] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunDirectoryError("\(directory): no such directory")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return names.compactMap { name in
            let dir = directory + "/" + name
            if FileManager.default.fileExists(atPath: dir + "/recipe.yaml") { return row(dir, name: name, host: host, isAlive: isAlive) }
            // A run that ended before writing its recipe (bad data, say) left only its logs.
            return startupFailure(dir).map { RunRow(name: name, status: $0) }
        }
    }

    /// "failed at start-up: …" with the last error line of rank 0's log, if `dir` holds one.
    package static func startupFailure(_ dir: String) -> String? {
        guard let data = FileManager.default.contents(atPath: dir + "/logs/rank-0.log") else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard let at = lines.lastIndex(where: { $0.contains("error: ") }) else { return "failed at start-up (see logs/rank-0.log)" }
        var error = String(lines[at][lines[at].range(of: "error: ")!.upperBound...])
        // "… failed on 2 of 2 rank(s):" heads a list: its first entry says more.
        if error.hasSuffix(":"), at + 1 < lines.count, let entry = lines[at + 1].split(separator: " ", maxSplits: 1).last {
            error = entry.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: #"^rank \d+@\S+: "#, with: "", options: .regularExpression)
        }
        return "failed at start-up: " + shortened(error)
    }

    /// At most 40 characters (the status column stays narrow; the logs have the rest).
    package static func shortened(_ text: String) -> String { text.count > 40 ? text.prefix(39) + "…" : text }

    package static func row(_ dir: String, name: String, host: String, isAlive: (Int32) -> Bool) -> RunRow {
        let summary = (FileManager.default.contents(atPath: dir + "/summary.json"))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let status = RunStatus.read(dir)
        let accuracies = column("test_accuracy", of: dir + "/metrics.csv").compactMap { $0 }
        // The furthest step known: the last logged one, the latest checkpoint's (a stopped run's), the summary's.
        let checkpoint = CheckpointDirectory(dir + "/checkpoints", prefix: "ckpt-").pointer("latest")
            .flatMap { Int((($0 as NSString).lastPathComponent as NSString).deletingPathExtension.filter(\.isNumber)) }
        let steps = [column("step", of: dir + "/steps.csv").compactMap { $0 }.last.map { Int($0) }, checkpoint,
                     summary?["steps"] as? Int].compactMap { $0 }.max()
        var row = RunRow(name: name, status: describe(status, finished: summary != nil, host: host, isAlive: isAlive),
                         steps: steps, bestTestAccuracy: accuracies.max(),
                         finalTestAccuracy: accuracies.last, wallSeconds: summary?["wall_time_s"] as? Double,
                         worldSize: status?.worldSize ?? (summary?["world_size"] as? Int))
        if let status, status.state != .finished || row.wallSeconds == nil {
            // A live run's status is written when it starts and ends: its time is until now,
            // a dead one's until its last record.
            let last = [status.updated, modified(dir + "/steps.csv"), modified(dir + "/metrics.csv")].compactMap { $0 }.max()!
            row.wallSeconds = (row.status == "running" ? Date().timeIntervalSince1970 : last) - status.started
        }
        return row
    }

    /// The status column.
    package static func describe(_ status: RunStatus?, finished: Bool, host: String, isAlive: (Int32) -> Bool) -> String {
        guard let status else { return finished ? "finished" : "unknown (no status.json)" }
        switch status.state {
        case .finished: return "finished"
        case .stopped: return "stopped (75): --resume auto"
        case .stalled: return "stalled (76)"
        case .failed:
            return "failed: " + shortened(status.message ?? "?")
        case .running:
            if status.host != host { return "running on \(status.host)?" }
            return isAlive(status.pid) ? "running" : "died (killed, or its node lost)"
        }
    }

    /// When the file at `path` was last modified (seconds since the epoch).
    package static func modified(_ path: String) -> Double? {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date)?.timeIntervalSince1970
    }

    /// The values of column `name` of a CSV file (nil for empty cells); empty if absent.
    package static func column(_ name: String, of path: String) -> [Double?] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard let header = lines.first, let index = header.split(separator: ",").firstIndex(where: { $0 == name }) else { return [] }
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return index < cells.count ? Double(cells[index]) : nil
        }
    }

    /// The rows as an aligned text table.
    public static func render(_ rows: [RunRow]) -> String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f%%", 100 * $0) } ?? "-" }
        func time(_ s: Double?) -> String {
            guard let s else { return "-" }
            return s < 60 ? String(format: "%.0f s", s) : s < 3600 ? String(format: "%.1f min", s / 60) : String(format: "%.1f h", s / 3600)
        }
        let table = [["run", "status", "steps", "best test acc", "final test acc", "wall time", "ranks"]]
            + rows.map { [$0.name, $0.status, $0.steps.map(String.init) ?? "-", pct($0.bestTestAccuracy), pct($0.finalTestAccuracy),
                          time($0.wallSeconds), $0.worldSize.map(String.init) ?? "-"] }
        let widths = (0..<7).map { c in table.map { $0[c].count }.max() ?? 0 }
        return table.map { cells in
            cells.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
