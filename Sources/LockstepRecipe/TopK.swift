import Foundation

/// Top-k classes of rows of logits, with softmax probabilities.
public enum TopK {
    public static func of(_ logits: ArraySlice<Float>, k: Int) -> [(index: Int, probability: Double)] {
        let m = logits.max() ?? 0
        let e = logits.map { exp(Double($0 - m)) }
        let total = e.reduce(0, +)
        return e.enumerated().sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }
            .prefix(k).map { ($0.offset, $0.element / total) }
    }
}
