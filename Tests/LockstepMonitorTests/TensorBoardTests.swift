import Foundation
import LockstepMonitor
import XCTest

final class TensorBoardTests: XCTestCase {
    /// RFC 3720 §B.4's CRC-32C vectors, and the common check value of "123456789".
    func testCRC32CMatchesPublishedVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map(UInt8.init)), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).reversed().map(UInt8.init)), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
    }

    /// The mask is TFRecord's: rotate right 15, add 0xa282ead8 (modulo 2³²).
    func testMaskedChecksumRotatesAndAdds() {
        let crc: UInt32 = 0xE306_9283
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }

    func testFrameIsLengthCRCDataCRC() {
        let data: [UInt8] = [1, 2, 3]
        let frame = RecordWriter.frame(data)
        XCTAssertEqual(frame.count, 8 + 4 + 3 + 4)
        XCTAssertEqual(Array(frame[0..<8]), [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = UInt32(frame[8]) | UInt32(frame[9]) << 8 | UInt32(frame[10]) << 16 | UInt32(frame[11]) << 24
        XCTAssertEqual(lengthCRC, CRC32C.masked(frame[0..<8]))
        XCTAssertEqual(Array(frame[12..<15]), data)
        let dataCRC = UInt32(frame[15]) | UInt32(frame[16]) << 8 | UInt32(frame[17]) << 16 | UInt32(frame[18]) << 24
        XCTAssertEqual(dataCRC, CRC32C.masked(data))
    }

    /// An event file holds framed records whose CRCs check, starting with the file version;
    /// the scalar's tag and value are in the summary record's bytes.
    func testEventFileRecordsAreFramedAndCarryScalars() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try EventWriter(directory: dir, resumedAt: 40, host: "node1")
        try writer.scalars([("train/loss", 0.25), ("skipped", .nan)], step: 50)
        XCTAssertTrue(URL(fileURLWithPath: writer.path).lastPathComponent.hasPrefix("events.out.tfevents."))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        var records: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            let length = bytes[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            XCTAssertEqual(le32(bytes, offset + 8), CRC32C.masked(bytes[offset..<offset + 8]))
            let data = Array(bytes[offset + 12..<offset + 12 + length])
            XCTAssertEqual(le32(bytes, offset + 12 + length), CRC32C.masked(data))
            records.append(data)
            offset += 16 + length
        }
        XCTAssertEqual(offset, bytes.count)
        XCTAssertEqual(records.count, 3)  // version, session start, one summary
        XCTAssertTrue(String(decoding: records[0], as: UTF8.self).contains("brain.Event:2"))
        XCTAssertTrue(String(decoding: records[2], as: UTF8.self).contains("train/loss"))
        XCTAssertFalse(String(decoding: records[2], as: UTF8.self).contains("skipped"))  // NaN is not written
        var quarter: Float = 0.25
        let floatBytes = withUnsafeBytes(of: &quarter, Array.init)
        XCTAssertNotNil(records[2].firstRange(of: [0x15] + floatBytes))  // field 2, fixed32: simple_value
    }

    private func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
