import Foundation

/// Bounds the time spent reading one file, for commands that have no stall watchdog
/// (`lockstep inspect`, `lockstep eval`'s weights). Some damaged HDF5 files make libhdf5 1.10
/// loop forever; the call cannot be interrupted, so when `seconds` pass the process prints
/// an error naming the file and exits with 1 (under mpirun that ends the job).
public enum ReadDeadline {
    /// The deadline that fits `file`: a few seconds plus its size at a conservative read rate
    /// (10 MB/s, a busy network file system), so a damaged small file ends in seconds and an
    /// intact large one is never cut short.
    public static func seconds(forFile file: String, base: Double = 5, bytesPerSecond: Double = 10_000_000) -> Double {
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.doubleValue ?? 0
        return base + size / bytesPerSecond
    }

    /// Runs `body`, the reading of `file`; `label` starts the error line.
    public static func within<T>(_ seconds: Double, reading file: String, label: String, _ body: () throws -> T) rethrows -> T {
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            if finished.wait(timeout: .now() + seconds) == .timedOut {
                let line = "\(label): error: reading \(file) did not finish within \(Int(seconds)) s: the file is "
                    + "probably damaged (libhdf5 can loop on a damaged file); replace it with an intact copy\n"
                FileHandle.standardError.write(Data(line.utf8))
                _exit(1)
            }
        }
        thread.name = "lockstep-read-deadline"
        thread.start()
        defer { finished.signal() }
        return try body()
    }
}
