import Foundation
import LockstepTensor

/// Synthetic sequence classification tasks, for tests and benchmarks without downloads.
public enum SequenceTask: String, Sendable, CaseIterable {
    /// Token ids [T]: position 0 holds a pointer token naming a position k in 1..<T, the others
    /// data tokens 0..<C; the label is the data token at k. Solving it means looking up a
    /// position chosen by content, which attention does in one step and pooling cannot.
    /// Vocabulary C + T − 1 (pointer to k is token C + k − 1).
    case lookup
    /// Token ids [T] of 0 and 1; the label is their sum modulo 2 (every token matters).
    case parity
    /// Features [T, 1]: a sine of c + 1 cycles over the sequence, random phase, plus Gaussian
    /// noise of standard deviation 0.5; the label is c.
    case periodic

    /// Token ids the task's inputs use (nil for real-valued features).
    public func vocabulary(length: Int, classes: Int) -> Int? {
        switch self {
        case .lookup: classes + length - 1
        case .parity: 2
        case .periodic: nil
        }
    }

    /// A sample of `t` real steps: its values (t tokens, or t × 1 features) and label.
    func sample(length t: Int, classes: Int, rng: inout CounterRNG) -> ([Float], Int32) {
        switch self {
        case .lookup:
            var x = (0..<t).map { _ in Float(rng.next() % UInt64(classes)) }
            let k = 1 + Int(rng.next() % UInt64(t - 1))
            x[0] = Float(classes + k - 1)
            return (x, Int32(x[k]))
        case .parity:
            let x = (0..<t).map { _ in Float(rng.next() % 2) }
            return (x, Int32(x.reduce(0, +)) % 2)
        case .periodic:
            let c = Int(rng.next() % UInt64(classes)), phase = Double(rng.nextUniform()) * 2 * .pi
            let x = (0..<t).map { s in
                Float(sin(2 * .pi * Double(c + 1) * Double(s) / Double(t) + phase)) + 0.5 * rng.nextNormal()
            }
            return (x, Int32(c))
        }
    }
}

extension DatasetConverter {
    /// Shards `task` as NAME-train and NAME-test: token ids [T] (lookup, parity) or sequences
    /// [T, 1] (periodic), `length` steps, `classes` classes (parity has 2). With `minLength`
    /// below `length`, each sample has a length drawn from minLength…length, zeros after it, and
    /// the shards hold `/lengths` (the task is posed on the real steps only).
    public static func sequenceTask(_ task: SequenceTask, length: Int, minLength: Int? = nil, classes: Int, trainSamples: Int, testSamples: Int,
                                    seed: UInt64, output: String, name: String, shards: Int) throws -> [String] {
        let classes = task == .parity ? 2 : classes, shortest = minLength ?? length
        guard length >= 3, (3...length).contains(shortest), classes >= 2, trainSamples > 0, testSamples > 0 else {
            throw DataError("sequence task \(task.rawValue): needs 3 ≤ min length ≤ length, classes ≥ 2 and samples > 0, got \(shortest), \(length), \(classes), \(trainSamples)/\(testSamples)")
        }
        let shape = task == .periodic ? [length, 1] : [length]
        var written: [String] = []
        for (split, count, stream) in [("train", trainSamples, UInt64(1)), ("test", testSamples, UInt64(2))] {
            var rng = CounterRNG(seed: seed, streams: 0x5E9, stream)
            var values: [Float] = [], labels: [Int32] = [], lengths: [Int32] = []
            values.reserveCapacity(count * length)
            for _ in 0..<count {
                let real = shortest == length ? length : shortest + Int(rng.next() % UInt64(length - shortest + 1))
                let (x, y) = task.sample(length: real, classes: classes, rng: &rng)
                values += x + [Float](repeating: 0, count: length - real)
                labels.append(y)
                lengths.append(Int32(real))
            }
            let writer = ShardWriter(directory: output, name: "\(name)-\(split)", shards: min(shards, count))
            let lengthsOf = shortest == length ? nil : { (s: Int) in Array(lengths[ShardWriter.range(of: s, shards: writer.shards, samples: count)]) }
            try writer.write(sampleShape: shape, numClasses: classes, labelNames: (0..<classes).map(String.init), tokens: task != .periodic,
                             lengths: lengthsOf) { s in
                let range = ShardWriter.range(of: s, shards: writer.shards, samples: count)
                return (Array(values[(range.lowerBound * length)..<(range.upperBound * length)]), Array(labels[range]))
            }
            written.append(writer.manifestPath)
        }
        return written
    }
}
