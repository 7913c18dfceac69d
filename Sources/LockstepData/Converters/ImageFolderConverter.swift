import Dispatch
import Foundation
import LockstepHDF5

/// How `lockstep shard images` turns a folder of images into shards.
public struct ImageFolderOptions: Sendable {
    /// Target height × width; nil keeps the images' own size (then they must all have it).
    public var size: (height: Int, width: Int)?
    /// How another aspect ratio is brought to `size`.
    public var fit: ImageFit = .crop
    /// 3 (RGB; grey images replicated) or 1 (grey; colour images by luma).
    public var channels = 3
    /// Share of each class held out as the test split when the folder is not split already.
    public var testFraction = 0.2
    public var shards = 4
    /// Leave out (and count) images that cannot be decoded, instead of stopping at the first.
    public var skipBad = false
    /// Seeds the train/test split.
    public var seed: UInt64 = 1
    /// Decoding threads.
    public var workers = ProcessInfo.processInfo.activeProcessorCount

    public init() {}
}

/// What sharding an image folder did.
public struct ImageFolderReport: Sendable {
    public var manifests: [String] = []
    public var written = 0
    /// Images left out under `skipBad`, with the reason.
    public var skipped: [(path: String, reason: String)] = []
    public var ignored = 0
    public var seconds = 0.0
}

extension DatasetConverter {
    /// Shards an image folder into NAME-train and NAME-test, each with a `.files.txt` listing the
    /// images' paths in sample order. Images are decoded on `workers` threads, a shard at a time.
    public static func imageFolder(source: String, output: String, name: String, options: ImageFolderOptions) throws -> ImageFolderReport {
        let start = Date()
        guard options.channels == 1 || options.channels == 3 else { throw DataError("--channels must be 1 or 3, got \(options.channels)") }
        let folder = try ImageFolder(source)
        let (train, test): ([ImageFolder.Item], [ImageFolder.Item])
        if let given = folder.test {
            (train, test) = (folder.train, given)
        } else {
            guard options.testFraction >= 0 && options.testFraction < 1 else {
                throw DataError("--val-fraction must be in [0, 1), got \(options.testFraction)")
            }
            (train, test) = folder.split(testFraction: options.testFraction, seed: options.seed)
        }
        let (height, width) = try options.size ?? firstSize(train, folder: source, skipBad: options.skipBad)
        var report = ImageFolderReport()
        report.ignored = folder.ignored
        for (split, items) in [("train", train), ("test", test)] where !items.isEmpty || split == "train" {
            let writer = ShardWriter(directory: output, name: "\(name)-\(split)", shards: min(options.shards, max(items.count, 1)))
            var kept: [String] = []
            try writer.write(sampleShape: [height, width, options.channels], numClasses: folder.classes.count, labelNames: folder.classes) { s in
                let range = ShardWriter.range(of: s, shards: writer.shards, samples: items.count)
                let shard = try decode(Array(items[range]), folder: source, height: height, width: width, options: options)
                report.skipped += shard.skipped
                kept += shard.kept.map(\.path)
                return (shard.pixels, shard.kept.map(\.label))
            }
            try AtomicFile.write(Array((kept.joined(separator: "\n") + "\n").utf8), to: output + "/\(name)-\(split).files.txt")
            report.manifests.append(writer.manifestPath)
            report.written += kept.count
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The size of the first image that decodes (the first of all, unless `skipBad`).
    static func firstSize(_ items: [ImageFolder.Item], folder: String, skipBad: Bool) throws -> (Int, Int) {
        for item in items {
            do {
                let image = try Image.read(folder + "/" + item.path)
                return (image.height, image.width)
            } catch where skipBad {
                continue
            }
        }
        throw DataError("\(folder): none of the \(items.count) training images could be read")
    }

    /// One shard's images decoded in parallel, fitted and converted, in order; those that fail
    /// are an error naming the first, or left out under `skipBad`.
    static func decode(_ items: [ImageFolder.Item], folder: String, height: Int, width: Int,
                       options: ImageFolderOptions) throws -> (pixels: [UInt8], kept: [ImageFolder.Item], skipped: [(path: String, reason: String)]) {
        let size = height * width * options.channels
        final class Results: @unchecked Sendable {
            var pixels: [UInt8]
            var failures: [Int: String] = [:]
            var wrongSize: String?
            let lock = NSLock()
            init(_ count: Int) { pixels = [UInt8](repeating: 0, count: count) }
        }
        let results = Results(items.count * size)
        let fixedSize = options.size != nil
        let workers = max(1, min(options.workers, items.count))
        results.pixels.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            // Worker w takes images w, w + workers, …: similar images share the work evenly.
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for i in stride(from: w, to: items.count, by: workers) {
                    let path = folder + "/" + items[i].path
                    do {
                        var image = try Image.read(path)
                        if !fixedSize && (image.height != height || image.width != width) {
                            results.lock.withLock {
                                results.wrongSize = "\(path): \(image.height)×\(image.width) pixels, but the first image is \(height)×\(width); give --size HxW to bring every image to one size"
                            }
                            continue
                        }
                        image = image.fitted(height: height, width: width, fit: options.fit).converted(channels: options.channels)
                        _ = image.pixels.withUnsafeBufferPointer { memcpy(out.baseAddress! + i * size, $0.baseAddress!, size) }
                    } catch {
                        results.lock.withLock { results.failures[i] = "\(error)" }
                    }
                }
            }
        }
        if let wrongSize = results.wrongSize { throw DataError(wrongSize) }
        guard !results.failures.isEmpty else { return (results.pixels, items, []) }
        let bad = results.failures.keys.sorted()
        if !options.skipBad {
            throw DataError("\(results.failures[bad[0]]!)\(bad.count > 1 ? " (and \(bad.count - 1) more in this shard)" : ""); --skip-bad leaves unreadable images out")
        }
        var pixels: [UInt8] = [], kept: [ImageFolder.Item] = []
        pixels.reserveCapacity((items.count - bad.count) * size)
        for i in items.indices where results.failures[i] == nil {
            pixels += results.pixels[(i * size)..<((i + 1) * size)]
            kept.append(items[i])
        }
        return (pixels, kept, bad.map { (folder + "/" + items[$0].path, results.failures[$0]!) })
    }
}
