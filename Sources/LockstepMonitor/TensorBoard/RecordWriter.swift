import Foundation

/// Appends TFRecord-framed records to a file, the container TensorBoard's event files use:
///
///     uint64 length (little-endian) · uint32 masked CRC-32C of those 8 bytes
///     data (length bytes)           · uint32 masked CRC-32C of the data
///
/// Each record goes to the file in one write, so a reader never sees half of one unless the
/// process dies inside that write (TensorBoard then stops at the torn record).
public final class RecordWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates (or truncates) the file at `path`.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw MonitorError("\(path): cannot create the event file (\(String(cString: strerror(errno))))")
        }
        self.path = path
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The bytes of one framed record.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndian(UInt64(data.count))
        return length + littleEndian(CRC32C.masked(length)) + data + littleEndian(CRC32C.masked(data))
    }

    public func append(_ data: [UInt8]) throws {
        do { try handle.write(contentsOf: Data(Self.frame(data))) } catch {
            throw MonitorError("\(path): cannot write an event (\(error.localizedDescription))")
        }
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian, Array.init)
    }
}
