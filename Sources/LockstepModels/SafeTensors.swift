import Foundation
import LockstepHDF5

/// A named tensor of a state dict, converted to Float32.
public struct NamedTensor: Sendable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// Reader for the safetensors format (Hugging Face): an 8-byte little-endian header length
/// N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": …}`,
/// then the raw little-endian data, offsets relative to its start.
///
/// F32, F16 and BF16 tensors are converted to Float32; integer tensors (BatchNorm's
/// `num_batches_tracked`) are listed in `skipped`, since Lockstep keeps no such counters.
public enum SafeTensors {
    public struct Contents: Sendable {
        public var tensors: [NamedTensor]
        /// Names of non-floating-point tensors that were not converted.
        public var skipped: [String]
        public var metadata: [String: String]
    }

    public struct FormatError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The product of `shape`, or nil for a negative dimension or an overflowing product.
    static func checkedElementCount(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    public static func read(_ path: String) throws -> Contents {
        func fail(_ what: String) -> FormatError { FormatError(description: "\(path): not a valid safetensors file: \(what)") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(description: "\(path): no such file or not readable")
        }
        guard data.count >= 8 else { throw fail("\(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file size \(data.count) (truncated, or another format)")
        }
        let start = 8 + Int(headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<start)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        var contents = Contents(tensors: [], skipped: [], metadata: [:])
        for (name, value) in json.sorted(by: { $0.key < $1.key }) {
            if name == "__metadata__" {
                contents.metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("entry \(name) lacks dtype, shape or data_offsets")
            }
            // Sizes from the header are checked against the file before any arithmetic can
            // overflow or any allocation follows them.
            guard let count = checkedElementCount(shape) else {
                throw fail("\(name): shape \(shape) has a negative dimension or more elements than can exist")
            }
            let (lo, hi) = (offsets[0], offsets[1])
            guard lo >= 0, lo <= hi, hi <= data.count - start else {
                throw fail("\(name): data_offsets \(offsets) fall outside the \(data.count - start) bytes of data")
            }
            let width: Int
            switch dtype {
            case "F32", "I32", "U32": width = 4
            case "F16", "BF16", "I16", "U16": width = 2
            case "F64", "I64", "U64": width = 8
            case "I8", "U8", "BOOL": width = 1
            default: throw fail("\(name): unknown dtype \(dtype)")
            }
            let (expected, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, hi - lo == expected else {
                throw fail("\(name): \(hi - lo) bytes for shape \(shape) of \(dtype), which needs \(overflow ? "more than can exist" : "\(expected)")")
            }
            guard let values = floats(data.subdata(in: (start + lo)..<(start + hi)), dtype: dtype, count: count) else {
                contents.skipped.append(name)
                continue
            }
            contents.tensors.append(NamedTensor(name: name, shape: shape, values: values))
        }
        return contents
    }

    /// `count` little-endian values of a floating-point `dtype` as Float; nil for integer types.
    static func floats(_ bytes: Data, dtype: String, count: Int) -> [Float]? {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case "F32": return (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
            case "F64": return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
            case "F16": return (0..<count).map { halfToFloat(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
            case "BF16": return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) << 16) }
            default: return nil
            }
        }
    }

    /// Writes `tensors` as F32 safetensors (PyTorch loads it with `safetensors.torch.load_file`),
    /// and `counters` as I64 scalars (BatchNorm's `num_batches_tracked`), atomically.
    public static func write(_ tensors: [NamedTensor], counters: [(name: String, value: Int64)] = [], to path: String,
                             metadata: [String: String] = ["format": "pt"]) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.values.count]]
            offset += 4 * t.values.count
        }
        for c in counters {
            header[c.name] = ["dtype": "I64", "shape": [Int](), "data_offsets": [offset, offset + 8]]
            offset += 8
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { bytes[i] = UInt8((UInt64(json.count) >> (8 * UInt64(i))) & 0xFF) }
        bytes += json
        bytes.reserveCapacity(bytes.count + offset)
        for t in tensors { for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } } }
        for c in counters { withUnsafeBytes(of: c.value.littleEndian) { bytes += $0 } }
        try AtomicFile.write(bytes, to: path)
    }

    /// IEEE 754 binary16 → Float32 (subnormals, infinities and NaN included).
    public static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31, exponent = Int((h >> 10) & 0x1F), mantissa = UInt32(h & 0x3FF)
        switch exponent {
        case 0:
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 31: return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default: return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
