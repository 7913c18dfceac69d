import Foundation
import LockstepHDF5

/// A directory of checkpoint files named by step (`ckpt-000001200.h5`, `state-000000120.h5`)
/// with pointer files (`latest`, `best`) that each name one of them. Rank 0 writes each file
/// atomically and then moves the pointer, so a crash at any moment leaves `latest` naming a
/// complete file; old files are pruned, never one a pointer names.
public struct CheckpointDirectory: Sendable {
    public let path: String
    /// What every checkpoint file's name starts with ("ckpt-", "state-").
    public let prefix: String

    public init(_ path: String, prefix: String) {
        self.path = path
        self.prefix = prefix
    }

    /// The file name for `step`.
    public func fileName(step: Int) -> String { Self.fileName(prefix, step: step) }

    /// The name of the file of `step` in a directory of `prefix` files.
    public static func fileName(_ prefix: String, step: Int) -> String { prefix + String(format: "%09d.h5", step) }

    /// Makes the directory if it is missing.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError("\(path): cannot create the checkpoint directory (\(error.localizedDescription))")
        }
    }

    /// The file (a path in the directory) the pointer `name` names, if it names one.
    public func pointer(_ name: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path + "/" + name) else { return nil }
        let file = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return file.isEmpty ? nil : path + "/" + file
    }

    /// Points `name` at `file` (a name in the directory), atomically.
    public func point(_ name: String, at file: String) throws {
        try AtomicFile.write(Array((file + "\n").utf8), to: path + "/" + name)
    }

    /// The checkpoint files' names, oldest step first.
    public var fileNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".h5") }.sorted()
    }

    /// Where to look for the newest checkpoint: the file `latest` names, then every file,
    /// newest first (paths; the pointed one may not exist).
    public var newestFirst: [String] {
        let latest = pointer("latest")
        return (latest.map { [$0] } ?? []) + fileNames.reversed().map { path + "/" + $0 }.filter { $0 != latest }
    }

    /// Removes all but the newest `keepLast` files (and their digests), never one a pointer of `pointers` names.
    public func prune(keepLast: Int, pointers: [String] = ["latest", "best"]) {
        let files = fileNames
        let kept = Set(files.suffix(max(keepLast, 1)))
            .union(pointers.compactMap { pointer($0).map { ($0 as NSString).lastPathComponent } })
        for f in files where !kept.contains(f) {
            try? FileManager.default.removeItem(atPath: path + "/" + f)
            try? FileManager.default.removeItem(atPath: FileDigest.sidecarPath(path + "/" + f))
        }
    }
}
