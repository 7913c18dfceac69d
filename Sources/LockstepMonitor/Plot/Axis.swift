import Foundation

/// An axis over a range of data: rounded bounds and ticks at 1, 2 or 5 × 10ⁿ steps, about
/// `target` of them, as a person would draw it.
public struct Axis: Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public var ticks: [Double]

    /// `integers`: ticks at whole numbers only (steps, epochs). The data's range is widened by
    /// 3 % each way (not below 0 for data that is not), so no line runs along the frame.
    public init(covering values: [Double], target: Int = 6, integers: Bool = false) {
        var low = values.min() ?? 0, high = values.max() ?? 1
        if !(low.isFinite && high.isFinite) { (low, high) = (0, 1) }
        if high - low < 1e-12 * max(abs(high), 1) {
            let pad = integers ? 1 : max(abs(high) * 0.1, 1e-9)
            (low, high) = (low - pad, high + pad)
        } else if !integers {
            let pad = 0.03 * (high - low)
            (low, high) = (low >= 0 ? max(0, low - pad) : low - pad, high + pad)
        }
        var step = Self.niceStep((high - low) / Double(max(target - 1, 1)))
        if integers { step = max(step, 1) }
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        lower = first
        upper = last
        ticks = (0...Int(((last - first) / step).rounded())).map { first + Double($0) * step }
    }

    /// The 1, 2, 5 × 10ⁿ at or above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let power = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / power
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power
    }

    /// Where `value` falls, 0 at `lower` to 1 at `upper`.
    public func position(_ value: Double) -> Double { (value - lower) / (upper - lower) }

    /// A tick's label, with no more digits than the tick spacing needs.
    public func label(_ value: Double) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let digits = max(0, -Int(log10(step).rounded(.down)))
        if abs(value) >= 100_000 && digits == 0 { return String(format: "%.3g", value) }
        return String(format: "%.\(digits)f", value)
    }
}
