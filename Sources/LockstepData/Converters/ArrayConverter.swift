import Foundation
import LockstepHDF5
import LockstepTensor

/// An array to shard: a `.npy` file, an array of a `.npz` archive named `FILE.npz:NAME`, or a
/// dataset in an HDF5 file named `FILE.h5:DATASET`.
public enum ArraySource {
    case numpy(NumpyArray)
    case hdf5(HDF5File, HDF5Dataset, String)

    /// Opens `spec`: `x.npy`, `data.npz:x`, or `file.h5:/name` (`file.h5:name`).
    public static func open(_ spec: String) throws -> ArraySource {
        if let colon = spec.range(of: ".npz:", options: [.caseInsensitive, .backwards]) {
            return .numpy(try NpzArchive(String(spec[..<colon.lowerBound]) + spec[colon].dropLast()).array(String(spec[colon.upperBound...])))
        }
        if spec.lowercased().hasSuffix(".npy") { return .numpy(try NumpyArray(spec)) }
        if spec.lowercased().hasSuffix(".npz") {
            let names = try NpzArchive(spec).names
            throw DataError("\(spec): name the array in the archive, as \(spec):\(names.first ?? "x") (it holds \(names.isEmpty ? "nothing" : names.joined(separator: ", ")))")
        }
        guard let colon = spec.lastIndex(of: ":") else {
            throw DataError("\(spec): give a .npy file, FILE.npz:ARRAY or FILE.h5:DATASET (the dataset's name in the HDF5 file)")
        }
        let path = String(spec[..<colon]), name = String(spec[spec.index(after: colon)...])
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch let e as HDF5Error { throw DataError(e.description) }
        let key = name.hasPrefix("/") ? String(name.dropFirst()) : name
        guard file.exists(key), !file.isGroup(key) else {
            let members = (try? file.memberNames().joined(separator: ", ")) ?? ""
            throw DataError("\(path): no dataset \"\(key)\" (at the top level: \(members.isEmpty ? "nothing" : members))")
        }
        do { return .hdf5(file, try file.dataset(key), spec) } catch let e as HDF5Error { throw DataError("\(spec): \(e.message)") }
    }

    public var name: String {
        switch self {
        case .numpy(let a): a.path
        case .hdf5(_, _, let spec): spec
        }
    }

    public var shape: [Int] {
        switch self {
        case .numpy(let a): a.shape
        case .hdf5(_, let d, _): d.shape
        }
    }

    /// Whether the elements are uint8 (kept as bytes in the shards).
    public var isBytes: Bool {
        switch self {
        case .numpy(let a): a.isBytes
        case .hdf5(_, let d, _): d.elementType == .int(bits: 8, signed: false)
        }
    }

    var rowSize: Int { shape.dropFirst().reduce(1, *) }

    /// The rows at `indices` (ascending), read in runs of consecutive rows.
    func rows<T: HDF5Scalar & Numeric>(_ indices: [Int], as: T.Type) throws -> [T] {
        var out: [T] = []
        out.reserveCapacity(indices.count * rowSize)
        var i = 0
        while i < indices.count {
            var j = i + 1
            while j < indices.count && indices[j] == indices[j - 1] + 1 { j += 1 }
            let run = indices[i]..<(indices[j - 1] + 1)
            switch self {
            case .numpy(let a): out += T.self == UInt8.self ? a.bytes(rows: run) as! [T] : a.floats(rows: run) as! [T]
            case .hdf5(_, let d, let spec):
                var buffer = [T](repeating: 0, count: run.count * rowSize)
                do { try buffer.withUnsafeMutableBufferPointer { try d.read(rows: run, into: $0.baseAddress!) } } catch let e as HDF5Error {
                    throw DataError("\(spec): reading rows \(run) failed: \(e.message)")
                }
                out += buffer
            }
            i = j
        }
        return out
    }
}

/// How `lockstep shard arrays` reads its arrays.
public struct ArrayShardOptions: Sendable {
    /// Inputs are [N, C, H, W] (PyTorch's order) rather than [N, H, W, C].
    public var channelsFirst = false
    /// Inputs are sequences: [N, T, F] (or [N, T], one feature per step), not images.
    public var sequences = false
    /// Inputs are token ids [N, T]: integers ≥ 0, stored as float32 and never normalized.
    public var tokens = false
    /// Class names in label order; default "0", "1", ….
    public var classNames: [String] = []
    /// Share held out as the test split when no test arrays are given.
    public var testFraction = 0.2
    public var seed: UInt64 = 1
    public var shards = 4

    public init() {}
}

extension DatasetConverter {
    /// Shards arrays of inputs (N × …) and labels (N integer class ids, or N × K one-hot) into
    /// NAME-train and NAME-test. uint8 inputs stay bytes; others become float32. [N, H, W, C] and
    /// [N, H, W] are images, [N, D] features; with `options.sequences` [N, T, F] are sequences,
    /// with `options.tokens` [N, T] are token ids.
    /// `lengths` and `testLengths` ([N] integers, 1…T) mark padded sequences: steps after a
    /// sample's length are padding.
    public static func arrays(inputs: ArraySource, labels: ArraySource, testInputs: ArraySource?, testLabels: ArraySource?,
                              lengths: ArraySource? = nil, testLengths: ArraySource? = nil,
                              output: String, name: String, options: ArrayShardOptions) throws -> [String] {
        let trainLabels = try classIDs(labels, count: inputs.shape.first ?? 0, of: inputs)
        var splits: [(String, ArraySource, [Int32], [Int])] = []
        guard (lengths == nil) == (testLengths == nil) || testInputs == nil else {
            throw DataError("give --lengths and --test-lengths together when there are test arrays")
        }
        guard testLengths == nil || testInputs != nil else {
            throw DataError("--test-lengths without --test-inputs: the test split is drawn from the inputs, whose --lengths it uses")
        }
        for (l, x) in [(lengths, inputs), (testLengths, testInputs)] {
            guard let l, let x else { continue }
            guard options.sequences || options.tokens, l.shape == [x.shape.first ?? 0] else {
                throw DataError("\(l.name): lengths \(l.shape) for \(x.name) \(x.shape): lengths are one per sample, for --sequences or --tokens")
            }
        }
        let lengthSource = { (split: String) in split == "train" || testInputs == nil ? lengths : testLengths }
        if let testInputs, let testLabels {
            let ids = try classIDs(testLabels, count: testInputs.shape.first ?? 0, of: testInputs)
            guard testInputs.shape.dropFirst() == inputs.shape.dropFirst() else {
                throw DataError("\(testInputs.name): samples of shape \(Array(testInputs.shape.dropFirst())), the training inputs' are \(Array(inputs.shape.dropFirst()))")
            }
            splits = [("train", inputs, trainLabels, Array(trainLabels.indices)), ("test", testInputs, ids, Array(ids.indices))]
        } else {
            guard testInputs == nil && testLabels == nil else { throw DataError("give both --test-inputs and --test-labels, or neither") }
            guard options.testFraction >= 0 && options.testFraction < 1 else {
                throw DataError("--val-fraction must be in [0, 1), got \(options.testFraction)")
            }
            var order = Array(trainLabels.indices)
            var rng = CounterRNG(seed: options.seed, streams: 0xA77A)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let held = Int((Double(order.count) * options.testFraction).rounded())
            splits = [("train", inputs, trainLabels, order.dropFirst(held).sorted()), ("test", inputs, trainLabels, order.prefix(held).sorted())]
        }
        let numClasses = max(options.classNames.count, Int(splits.flatMap { $0.2 }.max() ?? 0) + 1)
        let names = options.classNames.isEmpty ? (0..<numClasses).map(String.init) : options.classNames
        let layout = try layout(inputs, options: options)
        let sampleShape = layout.shape
        var written: [String] = []
        for (split, source, ids, indices) in splits where !indices.isEmpty {
            let writer = ShardWriter(directory: output, name: "\(name)-\(split)", shards: min(options.shards, indices.count))
            let take = { (s: Int) in Array(indices[ShardWriter.range(of: s, shards: writer.shards, samples: indices.count)]) }
            if source.isBytes && sampleShape.count == 3 {
                try writer.write(sampleShape: sampleShape, numClasses: numClasses, labelNames: names) { s in
                    (layout.apply(try source.rows(take(s), as: UInt8.self)), take(s).map { ids[$0] })
                }
            } else {
                let lengthsOf = lengthSource(split).map { source in
                    { (s: Int) throws -> [Int32] in
                        let rows = take(s)
                        return try source.rows(rows, as: Float.self).enumerated().map { i, v in
                            guard v == v.rounded(), abs(v) < 1e9 else {
                                throw DataError("\(source.name): length \(v) of sample \(rows[i]) is not an integer")
                            }
                            return Int32(v)
                        }
                    }
                }
                try writer.write(sampleShape: sampleShape, numClasses: numClasses, labelNames: names, tokens: options.tokens,
                                 lengths: lengthsOf) { s in
                    let values = layout.apply(try source.rows(take(s), as: Float.self))
                    if options.tokens, let bad = values.firstIndex(where: { $0 < 0 || $0 != $0.rounded() || $0 >= 16_777_216 }) {
                        throw DataError("\(source.name): token id \(values[bad]) (sample \(take(s)[bad / layout.shape[0]])) is not an integer in 0..<2^24")
                    }
                    return (values, take(s).map { ids[$0] })
                }
            }
            written.append(writer.manifestPath)
        }
        return written
    }

    /// Labels as class ids: integers ≥ 0, or one-hot rows (their argmax).
    static func classIDs(_ labels: ArraySource, count: Int, of inputs: ArraySource) throws -> [Int32] {
        let shape = labels.shape
        guard shape.first == count else {
            throw DataError("\(labels.name): \(shape.first ?? 0) labels for the \(count) samples of \(inputs.name)")
        }
        let values = try labels.rows(Array(0..<count), as: Float.self)
        if shape.count == 2 && shape[1] > 1 {
            let k = shape[1]
            return try (0..<count).map { i in
                let row = values[(i * k)..<((i + 1) * k)]
                guard row.allSatisfy({ $0 == 0 || $0 == 1 }), row.reduce(0, +) == 1 else {
                    throw DataError("\(labels.name): row \(i) of the [N, \(k)] labels is not one-hot")
                }
                return Int32(row.firstIndex(of: 1)! - row.startIndex)
            }
        }
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw DataError("\(labels.name): labels of shape \(shape); expected [N] class ids or [N, K] one-hot rows")
        }
        return try values.enumerated().map { i, v in
            guard v >= 0, v == v.rounded(), v < 1e7 else {
                throw DataError("\(labels.name): label \(v) of sample \(i) is not a class id (an integer ≥ 0)")
            }
            return Int32(v)
        }
    }

    /// The per-sample shape written ([H, W, C] or [D]) and whether blocks need [C, H, W] → [H, W, C].
    static func layout(_ inputs: ArraySource, options: ArrayShardOptions) throws -> SampleLayout {
        let dims = Array(inputs.shape.dropFirst()), channelsFirst = options.channelsFirst
        guard !(options.tokens && options.sequences) else { throw DataError("give --tokens or --sequences, not both") }
        if options.tokens {
            guard dims.count == 1, dims[0] > 0 else { throw DataError("\(inputs.name): --tokens wants token ids [N, T], got \(inputs.shape)") }
            return SampleLayout(shape: dims, channelsFirst: false)
        }
        if options.sequences {
            guard (1...2).contains(dims.count), dims.allSatisfy({ $0 > 0 }) else {
                throw DataError("\(inputs.name): --sequences wants [N, T, F] or [N, T], got \(inputs.shape)")
            }
            return SampleLayout(shape: dims.count == 1 ? dims + [1] : dims, channelsFirst: false)
        }
        switch dims.count {
        case 3 where channelsFirst: return SampleLayout(shape: [dims[1], dims[2], dims[0]], channelsFirst: true)
        case 3: return SampleLayout(shape: dims, channelsFirst: false)
        case 2: return SampleLayout(shape: dims + [1], channelsFirst: false)
        case 1, 0: return SampleLayout(shape: [max(dims.first ?? 1, 1)], channelsFirst: false)
        default:
            throw DataError("\(inputs.name): inputs of shape \(inputs.shape); expected [N, H, W, C], [N, C, H, W] with --channels-first, [N, H, W] or [N, D]")
        }
    }
}

/// The shape samples are written in, and whether they arrive channels first.
struct SampleLayout {
    let shape: [Int]
    let channelsFirst: Bool

    /// A block of samples in the written order: [C, H·W] → [H·W, C] per sample when channels first.
    func apply<T>(_ block: [T]) -> [T] {
        guard channelsFirst, !block.isEmpty else { return block }
        let c = shape[2], hw = shape[0] * shape[1], size = c * hw
        var out = block
        for s in 0..<(block.count / size) {
            for ch in 0..<c { for p in 0..<hw { out[s * size + p * c + ch] = block[s * size + ch * hw + p] } }
        }
        return out
    }
}
