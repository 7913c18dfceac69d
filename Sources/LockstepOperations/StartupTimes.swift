import Foundation

/// Where a run's start-up went, on this rank: from `Trainer.run` to the end of the first
/// step, by phase, with the bytes this rank hashed and read. Rank 0 prints it after the
/// first step; `lockstep bench W7` gathers it from every rank.
public struct StartupTimes: Sendable {
    /// Phases in order, seconds each.
    public private(set) var phases: [(name: String, seconds: Double)] = []
    /// Shard bytes this rank hashed to verify the data (0 when the cache covered them).
    public var hashedBytes: Int64 = 0
    /// Shard bytes the whole job hashed.
    public var jobHashedBytes: Int64 = 0
    /// Bytes this process read during start-up, when known: what it read through read(2) and
    /// friends (Linux's `rchar`, page-cache hits included) plus the shards it hashed (mapped,
    /// so not in `rchar`).
    public var readBytes: Int64?
    /// Seconds from `Trainer.run` to the end of the first step.
    public var toFirstStep: Double?

    private var lapStart: Date
    private let readAtStart: Int64?

    public init(now: Date = Date()) {
        lapStart = now
        readAtStart = Self.processReadBytes()
    }

    /// Ends the current phase under `name` and starts the next.
    package mutating func lap(_ name: String, now: Date = Date()) {
        phases.append((name, now.timeIntervalSince(lapStart)))
        lapStart = now
    }

    /// The first step is done: the total, and the bytes read since the start.
    package mutating func firstStepDone(since start: Date, now: Date = Date()) {
        lap("first step", now: now)
        toFirstStep = now.timeIntervalSince(start)
        if let before = readAtStart, let after = Self.processReadBytes() { readBytes = after - before + hashedBytes }
    }

    /// "first step after 1.23 s: data check 0.01, verification 0.80, …".
    public var line: String {
        String(format: "first step after %.2f s: ", toFirstStep ?? 0)
            + phases.map { String(format: "%@ %.2f", $0.name, $0.seconds) }.joined(separator: ", ")
    }

    /// `rchar` of /proc/self/io (nil where there is none).
    package static func processReadBytes() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("rchar:") }
            .flatMap { Int64($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
    }
}
