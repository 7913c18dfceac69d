import Foundation

/// Writes all of `text` to `fd` with write(2), retrying short writes and interruptions; gives
/// up silently on an error (a full disk or a closed terminal costs output, not the run).
func writeAll(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
