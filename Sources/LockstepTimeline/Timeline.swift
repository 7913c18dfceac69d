import Foundation

/// Per-rank trace of what a training step spent its time on, written as a Chrome trace
/// (chrome://tracing, Perfetto): one process row per rank, nested spans for forward and
/// backward per layer, a span per gradient bucket from its allreduce start to its observed
/// completion, the optimizer step and the data wait.
///
/// Recording is off unless a `Timeline` is installed as `Timeline.active`; instrumented code
/// checks that one pointer, so an untraced run pays a load and a branch per span.
public final class Timeline {
    /// The timeline spans are recorded into, if any. Set once, before training starts, by
    /// the thread that runs the training loop (the only thread that records).
    nonisolated(unsafe) public static var active: Timeline?

    /// A completed span.
    public struct Span: Sendable {
        public let name: String
        public let category: Category
        /// Nanoseconds since this timeline's origin.
        public let start: UInt64
        public let duration: UInt64
    }

    /// What a span measures; Chrome's trace viewer colours and filters by it.
    public enum Category: String, Sendable {
        case step, forward, backward, allreduce, optimizer, data, loss, sync
    }

    public let rank: Int
    private let origin: UInt64
    public private(set) var spans: [Span] = []
    /// Spans beyond this many are dropped (a long run traced by mistake must not exhaust memory).
    public let capacity: Int
    public private(set) var dropped = 0

    /// Starts a timeline whose zero is now. Ranks that start theirs right after a barrier
    /// share a common zero to within the barrier's skew (microseconds on one node).
    public init(rank: Int, capacity: Int = 2_000_000) {
        self.rank = rank
        self.capacity = capacity
        self.origin = Timeline.now()
        spans.reserveCapacity(min(capacity, 65_536))
    }

    /// Monotonic nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// Records a span that ran from `start` to `end` (both from `Timeline.now()`).
    public func record(_ name: String, _ category: Category, from start: UInt64, to end: UInt64) {
        guard spans.count < capacity else { dropped += 1; return }
        let s = start >= origin ? start - origin : 0
        spans.append(Span(name: name, category: category, start: s, duration: end >= start ? end - start : 0))
    }

    /// Runs `body` and, when a timeline is active, records it as one span.
    @inline(__always)
    public static func span<T>(_ name: @autoclosure () -> String, _ category: Category, _ body: () throws -> T) rethrows -> T {
        guard let timeline = active else { return try body() }
        let start = now()
        let result = try body()
        timeline.record(name(), category, from: start, to: now())
        return result
    }

    /// This rank's spans as Chrome trace events (complete events, microseconds), without the
    /// enclosing array brackets, so several ranks' lists can be concatenated.
    public func traceEvents() -> String {
        var out = "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":\(rank),\"tid\":0,\"args\":{\"name\":\"rank \(rank)\"}}"
        out.reserveCapacity(spans.count * 96)
        for s in spans {
            out += ",\n{\"name\":\(Timeline.jsonString(s.name)),\"cat\":\"\(s.category.rawValue)\",\"ph\":\"X\",\"pid\":\(rank),\"tid\":0,"
            out += "\"ts\":\(Timeline.micros(s.start)),\"dur\":\(Timeline.micros(s.duration))}"
        }
        return out
    }

    /// Writes a complete trace file from the event lists of one or more ranks.
    public static func writeTrace(_ eventLists: [String], to path: String) throws {
        let body = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n" + eventLists.filter { !$0.isEmpty }.joined(separator: ",\n") + "\n]}\n"
        try Data(body.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Total nanoseconds per category, counting only outermost spans of each category (a
    /// layer's span nested in its container's is not counted twice).
    public func totals() -> [Category: UInt64] {
        var totals: [Category: UInt64] = [:]
        var openUntil: [Category: UInt64] = [:]
        for s in spans.sorted(by: { $0.start < $1.start || ($0.start == $1.start && $0.duration > $1.duration) }) {
            if let end = openUntil[s.category], s.start < end { continue }
            totals[s.category, default: 0] += s.duration
            openUntil[s.category] = s.start + s.duration
        }
        return totals
    }

    private static func micros(_ ns: UInt64) -> String {
        String(format: "%.3f", Double(ns) / 1000)
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
