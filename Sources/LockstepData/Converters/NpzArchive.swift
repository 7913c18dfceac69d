import CZlib
import Foundation

/// A NumPy `.npz` archive (`numpy.savez`, `numpy.savez_compressed`): a zip file of `.npy`
/// members, each named after its array (`x.npy`). Stored members are mapped where they lie;
/// deflated ones are inflated into memory, their CRC-32 checked. Zip64 records, which numpy
/// writes for every member, are read.
public struct NpzArchive: @unchecked Sendable {
    public let path: String
    /// The arrays' names (members without their `.npy`), in the archive's order.
    public let names: [String]
    private let data: Data
    private let members: [String: Member]

    struct Member {
        var method: UInt16, crc: UInt32, compressedSize: Int, size: Int, headerOffset: Int
    }

    public init(_ path: String) throws {
        self.path = path
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError("\(path): cannot read the file (\(error.localizedDescription))")
        }
        let entries = try Self.centralDirectory(data, path)
        names = entries.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
        members = Dictionary(zip(names, entries.map(\.member))) { first, _ in first }
    }

    /// The array `name` (`x` or `x.npy`).
    public func array(_ name: String) throws -> NumpyArray {
        let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
        guard let member = members[key] else {
            throw DataError("\(path): no array \"\(key)\" in the archive (it holds \(names.isEmpty ? "nothing" : names.joined(separator: ", ")))")
        }
        let spec = path + ":" + key
        return try NumpyArray(data: try contents(of: member, spec), path: spec)
    }

    /// A member's bytes: a slice of the mapped file, or inflated.
    private func contents(of m: Member, _ spec: String) throws -> Data {
        let local = m.headerOffset
        guard local + 30 <= data.count, read32(local) == 0x0403_4B50 else { throw DataError("\(spec): the zip member's header is damaged") }
        let start = local + 30 + Int(read16(local + 26)) + Int(read16(local + 28))
        guard start + m.compressedSize <= data.count else { throw DataError("\(spec): the archive is truncated") }
        let stored = data.subdata(in: (data.startIndex + start)..<(data.startIndex + start + m.compressedSize))
        // Deflate shrinks 1032:1 at the most: a larger claim is a damaged directory, not memory to allocate.
        guard m.method != 8 || m.size <= m.compressedSize * 1032 + 1024, m.method != 0 || m.size == m.compressedSize else {
            throw DataError("\(spec): the zip directory claims \(m.size) bytes from \(m.compressedSize) stored: the archive is damaged")
        }
        let bytes: Data
        switch m.method {
        case 0: bytes = stored
        case 8: bytes = try Self.inflate(stored, size: m.size, spec)
        default: throw DataError("\(spec): zip compression method \(m.method) is not supported (numpy writes stored or deflated members)")
        }
        guard Self.crc32(of: bytes) == m.crc else { throw DataError("\(spec): CRC-32 mismatch: the archive is damaged") }
        return bytes
    }

    /// zlib's CRC-32 of `bytes`, fed in pieces zlib's 32-bit lengths can take.
    private static func crc32(of bytes: Data) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            var crc = CZlib.crc32(0, nil, 0)
            var at = 0
            while at < raw.count {
                let n = min(raw.count - at, 1 << 30)
                crc = CZlib.crc32(crc, raw.bindMemory(to: Bytef.self).baseAddress! + at, uInt(n))
                at += n
            }
            return UInt32(crc)
        }
    }

    private func read16(_ at: Int) -> UInt16 { Self.le(data, at, 2).map(UInt16.init) ?? 0 }
    private func read32(_ at: Int) -> UInt32 { Self.le(data, at, 4).map(UInt32.init) ?? 0 }

    /// The little-endian integer of `count` bytes at `at`, nil past the end.
    private static func le(_ data: Data, _ at: Int, _ count: Int) -> UInt64? {
        guard at >= 0, at + count <= data.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(data[data.startIndex + at + i]) << (8 * i) }
        return v
    }

    /// The members the central directory lists, with zip64 sizes and offsets where they apply.
    private static func centralDirectory(_ data: Data, _ path: String) throws -> [(name: String, member: Member)] {
        let notZip = DataError("\(path): not a .npz archive (no zip directory found); save the arrays with numpy.savez")
        let floor = max(0, data.count - 22 - 65_535)
        guard let end = stride(from: data.count - 22, through: floor, by: -1).first(where: { le(data, $0, 4) == 0x0605_4B50 }) else {
            throw notZip
        }
        var count = Int(le(data, end + 10, 2)!), offset = Int(le(data, end + 16, 4)!)
        // A zip64 end record, located just before the end record, holds the wide values.
        if let locator = le(data, end - 20, 4), locator == 0x0706_4B50, let record = le(data, end - 12, 8).map(Int.init),
           le(data, record, 4) == 0x0606_4B50 {
            count = Int(le(data, record + 32, 8) ?? 0)
            offset = Int(le(data, record + 48, 8) ?? 0)
        }
        var entries: [(String, Member)] = [], at = offset
        for _ in 0..<count {
            guard le(data, at, 4) == 0x0201_4B50, let nameLength = le(data, at + 28, 2), let extraLength = le(data, at + 30, 2),
                  let commentLength = le(data, at + 32, 2), at + 46 + Int(nameLength) <= data.count else {
                throw DataError("\(path): the zip directory is damaged or truncated")
            }
            let name = String(decoding: data[(data.startIndex + at + 46)..<(data.startIndex + at + 46 + Int(nameLength))], as: UTF8.self)
            var member = Member(method: UInt16(le(data, at + 10, 2)!), crc: UInt32(le(data, at + 16, 4)!),
                                compressedSize: Int(le(data, at + 20, 4)!), size: Int(le(data, at + 24, 4)!),
                                headerOffset: Int(le(data, at + 42, 4)!))
            readZip64(data, extra: at + 46 + Int(nameLength), length: Int(extraLength), into: &member)
            entries.append((name, member))
            at += 46 + Int(nameLength) + Int(extraLength) + Int(commentLength)
        }
        return entries
    }

    /// Replaces the 0xFFFFFFFF fields of `member` by the zip64 extra field's 8-byte values (in
    /// the order size, compressed size, header offset, each present only where needed).
    private static func readZip64(_ data: Data, extra: Int, length: Int, into member: inout Member) {
        var at = extra
        while at + 4 <= extra + length, let id = le(data, at, 2), let size = le(data, at + 2, 2) {
            if id == 1 {
                var field = at + 4
                func next() -> Int { defer { field += 8 }; return Int(le(data, field, 8) ?? 0) }
                if member.size == 0xFFFF_FFFF { member.size = next() }
                if member.compressedSize == 0xFFFF_FFFF { member.compressedSize = next() }
                if member.headerOffset == 0xFFFF_FFFF { member.headerOffset = next() }
                return
            }
            at += 4 + Int(size)
        }
    }

    /// Inflates a raw deflate stream to `size` bytes.
    private static func inflate(_ compressed: Data, size: Int, _ spec: String) throws -> Data {
        var out = Data(count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError("\(spec): zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var status = Z_OK
        compressed.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                let source = input.bindMemory(to: Bytef.self), target = output.bindMemory(to: Bytef.self)
                var read = 0, written = 0
                // zlib counts in 32 bits: feed and drain at most 1 GiB at a time, until the
                // stream ends, zlib reports damage, or a call makes no progress (truncated).
                while true {
                    let inChunk = min(source.count - read, 1 << 30), outChunk = min(target.count - written, 1 << 30)
                    stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress.map { $0 + read })
                    stream.avail_in = uInt(inChunk)
                    stream.next_out = target.baseAddress.map { $0 + written }
                    stream.avail_out = uInt(outChunk)
                    status = CZlib.inflate(&stream, inChunk == source.count - read ? Z_FINISH : Z_NO_FLUSH)
                    let consumed = inChunk - Int(stream.avail_in), produced = outChunk - Int(stream.avail_out)
                    read += consumed
                    written += produced
                    if status != Z_OK && status != Z_BUF_ERROR { break }
                    if consumed == 0 && produced == 0 { break }
                }
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw DataError("\(spec): the compressed member does not inflate to its \(size) bytes (the archive is damaged)")
        }
        return out
    }
}
