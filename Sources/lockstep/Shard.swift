import ArgumentParser
import LockstepData

/// `lockstep shard fashion-mnist --source DIR --out DIR --shards N`.
struct Shard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a published dataset into HDF5 shards plus a JSON manifest.",
        discussion: """
            Formats: fashion-mnist and mnist (the IDX files, gzipped or not). Writes
            NAME-train-0000k-of-0000n.h5, NAME-test-…, NAME-train.manifest.json and NAME-test.manifest.json.
            """)

    @Argument(help: "Dataset format: fashion-mnist or mnist.")
    var format: String

    @Option(help: "Directory holding the source files.")
    var source: String = "/usr/share/datasets/fashion-mnist"

    @Option(name: .customLong("out"), help: "Directory for the shards and manifests.")
    var output: String = "data"

    @Option(help: "Number of shards per split.")
    var shards: Int = 4

    @Option(help: "Dataset name (default: the format).")
    var name: String?

    func validate() throws {
        guard ["fashion-mnist", "mnist"].contains(format) else {
            throw ValidationError("unknown format \"\(format)\"; known: fashion-mnist, mnist")
        }
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1, got \(shards)") }
    }

    func run() throws {
        let names = format == "fashion-mnist" ? DatasetConverter.fashionMNISTClasses : (0..<10).map(String.init)
        do {
            let written = try DatasetConverter.mnistFormat(source: source, output: output, name: name ?? format, shards: shards,
                                                           labelNames: names)
            for m in written { print("wrote \(m)") }
        } catch {
            print("lockstep shard: error: \(error)")
            throw ExitCode(1)
        }
    }
}
