import Foundation
import LockstepDistributed
import LockstepTimeline

/// Starting and saving a per-rank `Timeline` as one Chrome trace file for all ranks.
public enum TraceFile {
    /// Installs a fresh timeline on every rank, started right after a barrier so the ranks'
    /// clocks share a zero.
    public static func start(_ comm: any Communicator) throws -> Timeline {
        try comm.barrier()
        let timeline = Timeline(rank: comm.rank)
        Timeline.active = timeline
        return timeline
    }

    /// Stops recording and writes all ranks' spans to `path` (rank 0 writes the file; the other
    /// ranks hand their spans over through `path.rank<r>.part` files, which rank 0 removes, so
    /// `path` must be on a file system every rank sees, as the run directory is).
    public static func finish(_ timeline: Timeline, _ comm: any Communicator, to path: String) throws {
        Timeline.active = nil
        let part = { (r: Int) in "\(path).rank\(r).part" }
        if comm.rank != 0 {
            do { try Data(timeline.traceEvents().utf8).write(to: URL(fileURLWithPath: part(comm.rank))) } catch {
                throw CommunicatorError("cannot write the timeline part \(part(comm.rank)): \(error.localizedDescription)")
            }
        }
        try comm.barrier()
        guard comm.rank == 0 else { return }
        var lists = [timeline.traceEvents()]
        for r in 1..<max(comm.size, 1) {
            guard let text = try? String(contentsOfFile: part(r), encoding: .utf8) else {
                throw CommunicatorError("timeline part \(part(r)) of rank \(r) is missing: is \(path) on a file system every rank sees?")
            }
            lists.append(text)
            try? FileManager.default.removeItem(atPath: part(r))
        }
        do { try Timeline.writeTrace(lists, to: path) } catch {
            throw CommunicatorError("cannot write the timeline \(path): \(error.localizedDescription)")
        }
    }
}
