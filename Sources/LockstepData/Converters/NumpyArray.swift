import Foundation

/// A NumPy `.npy` array (format versions 1–3), mapped, not read whole: its shape and element
/// type from the header, and rows converted on demand. Numeric types in either byte order, in
/// C or Fortran order (a Fortran array's rows are gathered where they lie: no transposed copy).
public struct NumpyArray: @unchecked Sendable {
    /// The file, or `ARCHIVE.npz:NAME` for a member of an archive.
    public let path: String
    public let shape: [Int]
    /// The header's type code without its byte order: "u1", "i8", "f4", "b1", …
    public let type: String
    /// Elements stored most significant byte first (`>f4`).
    public let isBigEndian: Bool
    /// Elements stored first index fastest (`numpy.asfortranarray`, MATLAB's order).
    public let isFortranOrder: Bool
    private let data: Data
    private let offset: Int
    /// Per dimension, the elements between neighbours in the file when in Fortran order.
    private let fortranStrides: [Int]

    /// The `.npy` file at `path`, mapped.
    public init(_ path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError("\(path): cannot read the file (\(error.localizedDescription))")
        }
        try self.init(data: data, path: path)
    }

    /// The `.npy` bytes `data` (a mapped file, an archive's member); `path` names them in errors.
    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
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
        isFortranOrder = header.contains("'fortran_order': True")
        guard let order = descr.first, "<>|=".contains(order), Self.sizes[String(descr.dropFirst())] != nil else {
            throw DataError("\(path): element type \(descr) is not supported (bool, integers or floats; objects and strings are not arrays of numbers)")
        }
        type = String(descr.dropFirst())
        isBigEndian = order == ">" && Self.sizes[type]! > 1
        let dims = try Self.field(header, "shape", path)
        let shape = try dims.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map {
            guard let n = Int($0), n >= 0 else { throw DataError("\(path): the shape (\(dims)) is not a tuple of sizes") }
            return n
        }
        self.shape = shape
        fortranStrides = shape.indices.map { d in shape[..<d].reduce(1, *) }
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
        let n = rows.count * rowSize, size = Self.sizes[type]!
        return data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + offset
            guard !isBigEndian && !isFortranOrder else {
                return (0..<n).map { value(at: base + size * storedIndex(row: rows.lowerBound + $0 / rowSize, element: $0 % rowSize)) }
            }
            let p = base + rows.lowerBound * rowSize * size
            switch type {
            case "f4": return (0..<n).map { p.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            case "u1", "b1": return (0..<n).map { Float(p.load(fromByteOffset: $0, as: UInt8.self)) }
            default: return (0..<n).map { value(at: p + size * $0) }
            }
        }
    }

    /// Rows `rows` as bytes (uint8 arrays only).
    public func bytes(rows: Range<Int>) -> [UInt8] {
        precondition(isBytes)
        guard isFortranOrder else {
            let start = data.startIndex + offset + rows.lowerBound * rowSize
            return [UInt8](data[start..<(start + rows.count * rowSize)])
        }
        return data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + offset
            return (0..<(rows.count * rowSize)).map {
                base.load(fromByteOffset: storedIndex(row: rows.lowerBound + $0 / rowSize, element: $0 % rowSize), as: UInt8.self)
            }
        }
    }

    /// Where element `element` (in C order within the row) of row `row` is stored, counted in
    /// elements from the first.
    private func storedIndex(row: Int, element: Int) -> Int {
        guard isFortranOrder else { return row * rowSize + element }
        // C order: the last index runs fastest; Fortran order: the first (the row) does.
        var rest = element, index = row
        for d in stride(from: shape.count - 1, through: 1, by: -1) {
            index += (rest % shape[d]) * fortranStrides[d]
            rest /= shape[d]
        }
        return index
    }

    /// The element at `p` as Float, in the file's byte order.
    private func value(at p: UnsafeRawPointer) -> Float {
        func load<T: FixedWidthInteger>(_: T.Type) -> T {
            let v = p.loadUnaligned(as: T.self)
            return isBigEndian ? T(bigEndian: v) : v
        }
        switch type {
        case "f4": return Float(bitPattern: load(UInt32.self))
        case "f8": return Float(Double(bitPattern: load(UInt64.self)))
        case "u1", "b1": return Float(p.load(as: UInt8.self))
        case "i1": return Float(p.load(as: Int8.self))
        case "u2": return Float(load(UInt16.self))
        case "i2": return Float(load(Int16.self))
        case "u4": return Float(load(UInt32.self))
        case "i4": return Float(load(Int32.self))
        case "u8": return Float(load(UInt64.self))
        default: return Float(load(Int64.self))
        }
    }
}
