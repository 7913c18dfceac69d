import ArgumentParser
import Foundation
import LockstepData
import LockstepHDF5

/// `lockstep inspect FILE`.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a checkpoint, weight file, dataset shard or manifest holds.",
        discussion: "Other HDF5 files are listed as a tree of groups and datasets with their shapes and types.")

    @Argument(help: "A .h5 file (checkpoint, model.h5, shard) or a .manifest.json.")
    var file: String

    @Flag(help: "List every tensor of a checkpoint or weight file (default: a summary).")
    var all = false

    @Option(help: "Give up (exit 1) when reading the file takes longer than this many seconds: libhdf5 can loop forever on a damaged file (default: 5 s plus the file's size at 10 MB/s).")
    var timeout: Double?

    @Flag(help: "Check the file against the sha256 Lockstep recorded beside it (FILE.sha256) before reading it; exit 1 on a mismatch.")
    var verify = false

    func run() throws {
        if let timeout, !(timeout > 0 && timeout.isFinite) { throw ValidationError("--timeout must be a positive number of seconds") }
        try ReadDeadline.within(timeout ?? ReadDeadline.seconds(forFile: file), reading: file, label: "lockstep inspect") { try show() }
    }

    private func show() throws {
        do {
            if file.hasSuffix(".json") {
                let m = try ShardManifest.load(file)
                print("dataset manifest \(m.name): \(m.numSamples) samples of \(m.dtype) \(m.sampleShape) (\(m.layout))"
                      + (m.lengths == true ? ", padded (each shard's /lengths)" : "") + ", \(m.numClasses) classes")
                if !m.labelNames.isEmpty { print("  classes: \(m.labelNames.joined(separator: ", "))") }
                for s in m.shards { print("  \(s.file): \(s.numSamples) samples, sha256 \(s.sha256.prefix(16))…") }
                return
            }
            if verify {
                switch try FileDigest.verify(file) {
                case .intact: print("\(file): sha256 matches \(FileDigest.sidecarPath(file))")
                case .unrecorded:
                    print("lockstep inspect: error: \(file): no digest recorded (\(FileDigest.sidecarPath(file)) is missing): cannot verify")
                    throw ExitCode(1)
                }
            }
            let f = try HDF5File.open(file)
            let format = (try? f.stringAttribute("format")) ?? "hdf5"
            print("\(file): \(format)")
            for name in try f.attributeNames().sorted() where name != "recipe" {
                if let s = try? f.stringAttribute(name) { print("  \(name) = \(s)") }
                else if let v: [Double] = try? f.numericAttribute(name) {
                    print("  \(name) = \(v.count == 1 ? String(format: "%.6g", v[0]) : "\(v)")")
                }
            }
            if let recipe = try? f.stringAttribute("recipe") {
                print("  recipe:")
                for line in recipe.split(separator: "\n") { print("    \(line)") }
            }
            try listTree(f, indent: "  ")
        } catch let e as ExitCode {
            throw e
        } catch {
            print("lockstep inspect: error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Groups and datasets; groups holding many datasets (model state) are summarized unless --all.
    private func listTree(_ group: HDF5Group, indent: String) throws {
        for name in try group.memberNames() {
            if group.isGroup(name) {
                let child = try group.group(name)
                let members = try child.memberNames()
                let datasets = members.filter { !child.isGroup($0) }
                if !all && datasets.count > 8 {
                    let total = try datasets.reduce(0) { $0 + (try child.dataset($1)).count }
                    print("\(indent)\(name)/  \(datasets.count) tensors, \(total) values (first: \(datasets.prefix(3).joined(separator: ", ")), …; --all lists them)")
                    for sub in members where child.isGroup(sub) { print("\(indent)  \(sub)/"); try listTree(try child.group(sub), indent: indent + "    ") }
                } else {
                    print("\(indent)\(name)/")
                    try listTree(child, indent: indent + "  ")
                }
            } else {
                let d = try group.dataset(name)
                print("\(indent)\(name)  \(d.elementType) \(d.shape)")
            }
        }
    }
}
