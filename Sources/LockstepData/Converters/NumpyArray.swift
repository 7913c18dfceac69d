import Foundation

/// A NumPy `.npy` file (format versions 1–3), mapped, not read whole: its shape and element
/// type from the header, and rows converted on demand. C order, little-endian, numeric types.
public struct NumpyArray: @unchecked Sendable {
    public let path: String
    public let shape: [Int]
    /// The header's type code without its byte order: "u1", "i8", "f4", "b1", …
    public let type: String
    private let data: Data
    private let offset: Int

    public init(_ path: String) throws {
        self.path = path
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError("\(path): cannot read the file (\(error.localizedDescription))")
        }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes[0..<6] == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else {
            throw DataError("\(path): not a .npy file (no \\x93NUMPY magic); save the array with numpy.save")
        }
        let wide = bytes[6] >= 2
        guard !wide || bytes.count >= 12 else { throw DataError("\(path): the .npy header is truncated") }
        let length = wide ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : Int(bytes[8]) | Int(bytes[9]) << 8
        offset = (wide ? 12 : 10) + length
        guard data.count >= offset, let header = String(data: data[(offset - length)..<offset], encoding: .utf8) else {
            throw DataError("\(path): the .npy header is truncated or not text")
        }
        let descr = try Self.field(header, "descr", path)
        guard !header.contains("'fortran_order': True") else {
            throw DataError("\(path): the array is in Fortran order; save numpy.ascontiguousarray(a) instead")
        }
        guard let order = descr.first, "<|".contains(order), Self.sizes[String(descr.dropFirst())] != nil else {
            throw DataError("\(path): element type \(descr) is not supported (little-endian bool, integers or floats)")
        }
        type = String(descr.dropFirst())
        let dims = try Self.field(header, "shape", path)
        shape = try dims.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
            guard let n = Int($0), n >= 0 else { throw DataError("\(path): the shape (\(dims)) is not a tuple of sizes") }
            return n
        }
        let expected = offset + shape.reduce(1, *) * Self.sizes[type]!
        guard data.count >= expected else {
            throw DataError("\(path): \(data.count) bytes, the header's shape \(shape) of \(descr) needs \(expected) (truncated?)")
        }
    }

    static let sizes = ["b1": 1, "u1": 1, "i1": 1, "u2": 2, "i2": 2, "u4": 4, "i4": 4, "u8": 8, "i8": 8, "f4": 4, "f8": 8]

    /// The value of `key` in the header's dict: a quoted string or a parenthesized tuple.
    private static func field(_ header: String, _ key: String, _ path: String) throws -> String {
        guard let k = header.range(of: "'\(key)':") else { throw DataError("\(path): the .npy header has no '\(key)'") }
        let rest = header[k.upperBound...].drop { $0 == " " }
        let close: Character = rest.first == "(" ? ")" : "'"
        guard let open = rest.first, open == "(" || open == "'", let end = rest.dropFirst().firstIndex(of: close) else {
            throw DataError("\(path): cannot parse '\(key)' in the .npy header")
        }
        return String(rest[rest.index(after: rest.startIndex)..<end])
    }

    /// Whether the elements are bytes (uint8), kept as bytes in shards.
    public var isBytes: Bool { type == "u1" }

    /// Elements per row (the product of all dimensions but the first).
    public var rowSize: Int { shape.dropFirst().reduce(1, *) }

    /// Rows `rows` as Float.
    public func floats(rows: Range<Int>) -> [Float] {
        let n = rows.count * rowSize, start = offset + rows.lowerBound * rowSize * Self.sizes[type]!
        return data.withUnsafeBytes { raw in
            let p = raw.baseAddress! + start
            switch type {
            case "f4": return (0..<n).map { p.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            case "f8": return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) }
            case "u1", "b1": return (0..<n).map { Float(p.load(fromByteOffset: $0, as: UInt8.self)) }
            case "i1": return (0..<n).map { Float(p.load(fromByteOffset: $0, as: Int8.self)) }
            case "u2": return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) }
            case "i2": return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
            case "u4": return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
            case "i4": return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case "u8": return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)) }
            default: return (0..<n).map { Float(p.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
            }
        }
    }

    /// Rows `rows` as bytes (uint8 arrays only).
    public func bytes(rows: Range<Int>) -> [UInt8] {
        precondition(isBytes)
        let start = offset + rows.lowerBound * rowSize
        return [UInt8](data[(data.startIndex + start)..<(data.startIndex + start + rows.count * rowSize)])
    }
}
