import Foundation

extension Evaluation {
    /// Per-class accuracy keyed by class name (classes without samples left out).
    public var perClassAccuracyByName: [String: Double]? {
        guard let confusion else { return nil }
        var result: [String: Double] = [:]
        for (c, a) in confusion.perClassAccuracy.enumerated() {
            if let a { result[c < classNames.count ? classNames[c] : String(c)] = a }
        }
        return result
    }
}
