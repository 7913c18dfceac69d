import Foundation
import SwiftProtobuf

/// Writes a TensorBoard event file of scalars, `DIR/events.out.tfevents.<time>.<host>.<pid>`,
/// which `tensorboard --logdir` shows: each invocation of a run a new file (TensorBoard reads
/// the files of a directory in order), opened with the file version and, for a resumed run,
/// a session start just after the step it resumed from, so that TensorBoard drops what the
/// previous invocation recorded after that step (written again now) and keeps that step's
/// values (TensorBoard drops the events at and after a session start's step).
public final class EventWriter {
    private let records: RecordWriter
    public var path: String { records.path }

    public init(directory: String, resumedAt step: Int? = nil, host: String = ProcessInfo.processInfo.hostName,
                now: Date = Date()) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MonitorError("\(directory): cannot create the TensorBoard directory (\(error.localizedDescription))")
        }
        let name = "events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host).\(getpid())"
        records = try RecordWriter(path: directory + "/" + name)
        try append(Self.event(step: 0, at: now) { $0.fileVersion = "brain.Event:2" })
        if let step {
            try append(Self.event(step: step + 1, at: now) { $0.sessionLog.status = .start })
        }
    }

    /// Scalars named by tag ("train/loss") at a step.
    public func scalars(_ values: [(tag: String, value: Double)], step: Int, at date: Date = Date()) throws {
        let summary = Tensorboard_Summary.with { summary in
            summary.value = values.filter { $0.value.isFinite }.map { scalar in
                .with { $0.tag = scalar.tag; $0.simpleValue = Float(scalar.value) }
            }
        }
        guard !summary.value.isEmpty else { return }
        try append(Self.event(step: step, at: date) { $0.summary = summary })
    }

    private static func event(step: Int, at date: Date, _ fill: (inout Tensorboard_Event) -> Void) -> Tensorboard_Event {
        var event = Tensorboard_Event()
        event.wallTime = date.timeIntervalSince1970
        event.step = Int64(step)
        fill(&event)
        return event
    }

    private func append(_ event: Tensorboard_Event) throws {
        let bytes: [UInt8]
        do { bytes = try event.serializedBytes() } catch {
            throw MonitorError("\(path): cannot encode an event (\(error))")
        }
        try records.append(bytes)
    }
}
