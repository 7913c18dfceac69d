import ArgumentParser
import Foundation
import LockstepData

extension Shard {
    /// `lockstep shard images DIR`: a folder of JPEG/PNG images, one subfolder per class.
    struct Images: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A folder of JPEG/PNG images, one subfolder per class (Keras/torchvision layout).",
            discussion: """
                DIR/<class>/…/*.jpg|jpeg|png, split into train and test by --val-fraction (a seeded \
                choice per class that keeps each file on its side when others are added); or \
                DIR/train/<class>/… and DIR/test/<class>/… (val/ or validation/ also work), used as \
                they are. Classes are the subfolder names, sorted. Beside each manifest, \
                NAME-SPLIT.files.txt lists the images in sample order.
                """)

        @Argument(help: "The image folder.")
        var folder: String

        @Option(help: "Bring every image to HxW: scale it (bilinear, antialiased) and --fit it. Without it, all images must share one size.")
        var size: String?

        @Option(help: "crop: scale to cover HxW (the shorter side fits), cut the centre out; pad: scale to fit inside, pad with black.")
        var fit: String = "crop"

        @Option(help: "3 (RGB; grey images replicated) or 1 (grey; colour by ITU-R 601 luma).")
        var channels: Int = 3

        @Option(name: .customLong("val-fraction"), help: "Share of each class held out as test, when DIR has no train/ and test/.")
        var valFraction: Double = 0.2

        @Flag(name: .customLong("skip-bad"), help: "Leave out images that cannot be decoded (each is listed) instead of stopping.")
        var skipBad = false

        @Option(help: "Seed of the train/test choice.")
        var seed: UInt64 = 1

        @Option(help: "Decoding threads; by default one per core of this machine, shown as the default.")
        var workers: Int = ProcessInfo.processInfo.activeProcessorCount

        @OptionGroup var output: Shard.Output

        func validate() throws {
            if let size { guard Self.parse(size) != nil else { throw ValidationError("--size must be HxW with positive sizes, got \(size)") } }
            guard ImageFit(rawValue: fit) != nil else { throw ValidationError("--fit must be crop or pad, got \(fit)") }
            guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3, got \(channels)") }
            _ = try Shard.fraction(valFraction)
            guard workers >= 1 else { throw ValidationError("--workers must be at least 1, got \(workers)") }
        }

        static func parse(_ size: String) -> (Int, Int)? {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            return parts.count == 2 && parts.allSatisfy { $0 > 0 } ? (parts[0], parts[1]) : nil
        }

        func run() throws {
            var options = ImageFolderOptions()
            options.size = size.flatMap(Self.parse)
            options.fit = ImageFit(rawValue: fit)!
            options.channels = channels
            options.testFraction = valFraction
            options.shards = output.shards
            options.skipBad = skipBad
            options.seed = seed
            options.workers = workers
            let name = output.name ?? URL(fileURLWithPath: folder).standardized.lastPathComponent
            try Shard.convert {
                let report = try DatasetConverter.imageFolder(source: folder, output: output.directory, name: name, options: options)
                for (path, reason) in report.skipped { print("skipped \(path): \(reason.hasPrefix(path + ": ") ? String(reason.dropFirst(path.count + 2)) : reason)") }
                var summary = String(format: "%d images in %.1f s (%.0f images/s)", report.written, report.seconds,
                                     Double(report.written + report.skipped.count) / max(report.seconds, 1e-9))
                if !report.skipped.isEmpty { summary += ", \(report.skipped.count) skipped (--skip-bad)" }
                if report.ignored > 0 { summary += ", \(report.ignored) other file(s) ignored (not .jpg/.jpeg/.png)" }
                print(summary)
                return report.manifests
            }
        }
    }
}
