import Foundation
import LockstepHDF5

/// The JSON file describing a sharded dataset: `NAME.manifest.json` beside `NAME-0000k-of-0000n.h5`.
public struct ShardManifest: Codable, Equatable, Sendable {
    /// One shard file.
    public struct Shard: Codable, Equatable, Sendable {
        /// File name, relative to the manifest's directory.
        public var file: String
        /// Samples in this shard.
        public var numSamples: Int
        /// Hex sha256 of the file's bytes.
        public var sha256: String

        enum CodingKeys: String, CodingKey {
            case file
            case numSamples = "num_samples"
            case sha256
        }
    }

    /// Always "lockstep-shard-manifest".
    public var format: String = ShardManifest.formatName
    /// Manifest format version.
    public var version: Int = 1
    /// Dataset name (`fashion-mnist-train`).
    public var name: String
    /// Total samples over all shards.
    public var numSamples: Int
    /// Input dataset name in each shard: "images" (uint8 or float32 [N,H,W,C]), "features"
    /// (float32 [N,D]), "sequences" (float32 [N,T,F]) or "tokens" (token ids as float32 [N,T]).
    public var inputDataset: String
    /// Element type of the input dataset: "uint8" or "float32".
    public var dtype: String
    /// Shape of one sample as stored ([H, W, C] for images, [D] for features, [T, F] for
    /// sequences, [T] for tokens).
    public var sampleShape: [Int]
    /// "NHWC" for images, "ND" for features, "NTF" for sequences, "NT" for tokens.
    public var layout: String
    /// Number of classes (labels are 0..<numClasses).
    public var numClasses: Int
    /// Human-readable class names, if known.
    public var labelNames: [String]
    /// The shards in sample order.
    public var shards: [Shard]
    /// Whether each shard holds `/lengths` int32 [n]: each sequence's real steps, padding after.
    public var lengths: Bool?

    public static let formatName = "lockstep-shard-manifest"

    enum CodingKeys: String, CodingKey {
        case format, version, name
        case numSamples = "num_samples"
        case inputDataset = "input_dataset"
        case dtype
        case sampleShape = "sample_shape"
        case layout
        case numClasses = "num_classes"
        case labelNames = "label_names"
        case shards
        case lengths
    }

    /// Reads and checks a manifest; errors name the file and the problem.
    public static func load(_ path: String) throws -> ShardManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError("\(path): manifest not found or unreadable (run `lockstep shard` first?)")
        }
        let m: ShardManifest
        do {
            m = try JSONDecoder().decode(ShardManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw DataError("\(path): manifest lacks the key \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw DataError("\(path): manifest key \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type")
        } catch {
            throw DataError("\(path): not a valid manifest JSON file (\(error))")
        }
        guard m.format == formatName else { throw DataError("\(path): format is \"\(m.format)\", expected \"\(formatName)\"") }
        guard m.version == 1 else { throw DataError("\(path): manifest version \(m.version), this Lockstep reads version 1") }
        guard !m.shards.isEmpty else { throw DataError("\(path): manifest lists no shards") }
        let total = m.shards.reduce(0) { $0 + $1.numSamples }
        guard total == m.numSamples else {
            throw DataError("\(path): shards hold \(total) samples in all, manifest says num_samples \(m.numSamples)")
        }
        guard let kind = ShardInput(rawValue: m.inputDataset), kind.rank == m.sampleShape.count,
              m.dtype == "float32" || (kind == .images && m.dtype == "uint8") else {
            throw DataError("\(path): input \(m.inputDataset) \(m.dtype) \(m.sampleShape) is not uint8/float32 images [H,W,C], float32 features [D], sequences [T,F] or tokens [T]")
        }
        guard m.lengths != true || [.sequences, .tokens].contains(m.input) else {
            throw DataError("\(path): \"lengths\": true is for sequences and tokens, not \(m.inputDataset)")
        }
        guard m.numClasses > 0 else { throw DataError("\(path): num_classes must be positive, got \(m.numClasses)") }
        return m
    }

    /// Writes the manifest as pretty JSON, atomically.
    public func write(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try enc.encode(self)) + [0x0A], to: path)
    }

    /// What the shards hold.
    public var input: ShardInput { ShardInput(rawValue: inputDataset) ?? .features }

    /// Sample shape as the model sees it: [C, H, W] for images (NCHW), the stored shape otherwise.
    public var modelInputShape: [Int] {
        sampleShape.count == 3 ? [sampleShape[2], sampleShape[0], sampleShape[1]] : sampleShape
    }
}

/// The kinds of samples shards hold, named as their input dataset.
public enum ShardInput: String, Sendable, CaseIterable {
    /// uint8 or float32 [H, W, C].
    case images
    /// float32 [D].
    case features
    /// float32 [T, F]: T time steps of F features.
    case sequences
    /// Token ids [T] stored as float32 (exact below 2²⁴), read without normalization.
    case tokens

    /// Dimensions of one sample.
    public var rank: Int {
        switch self {
        case .images: 3
        case .sequences: 2
        case .features, .tokens: 1
        }
    }

    /// The shards' and manifest's layout attribute.
    public var layout: String {
        switch self {
        case .images: "NHWC"
        case .features: "ND"
        case .sequences: "NTF"
        case .tokens: "NT"
        }
    }

    /// The kind of samples of `shape`: images [H, W, C], sequences [T, F], features [D] or,
    /// when `tokens`, token ids [T].
    public static func of(_ shape: [Int], tokens: Bool = false) -> ShardInput? {
        switch shape.count {
        case 3: .images
        case 2: .sequences
        case 1: tokens ? .tokens : .features
        default: nil
        }
    }
}

extension ShardManifest {
    /// The name of class `label`: the manifest's, or the label number where it names none.
    public func className(_ label: Int) -> String { label < labelNames.count ? labelNames[label] : String(label) }
}
