/// CRC-32C (Castagnoli; iSCSI, RFC 3720 §B.4), the checksum of TFRecord framing: reflected
/// polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF. Byte-at-a-time from a
/// table: event records are small and written a few times a second at most.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked form TFRecord stores (a CRC of data that holds CRCs is then not degenerate):
    /// rotated right by 15 bits, plus 0xa282ead8.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
