import Foundation
import LockstepHDF5

/// One shard's HDF5 file and its input dataset, checked against the manifest: the dataset's
/// shape and element type.
struct ShardFile: Sendable {
    let file: HDF5File
    let input: HDF5Dataset
    /// `/lengths` int [n], when the manifest says the sequences are padded.
    let lengths: HDF5Dataset?

    static func open(_ path: String, _ shard: ShardManifest.Shard, _ manifest: ShardManifest) throws -> ShardFile {
        let f: HDF5File
        do { f = try HDF5File.open(path) } catch let e as HDF5Error { throw DataError(e.description) }
        let expected = [shard.numSamples] + manifest.sampleShape
        let input = try dataset(f, manifest.inputDataset, path: path)
        guard input.shape == expected else {
            throw DataError("\(path): /\(manifest.inputDataset) has shape \(input.shape), expected \(expected) from the manifest")
        }
        let wantType: HDF5ElementType = manifest.dtype == "uint8" ? .int(bits: 8, signed: false) : .float(bits: 32)
        guard input.elementType == wantType else {
            throw DataError("\(path): /\(manifest.inputDataset) stores \(input.elementType), expected \(manifest.dtype)")
        }
        var lengths: HDF5Dataset?
        if manifest.lengths == true {
            let d = try dataset(f, "lengths", path: path)
            guard d.shape == [shard.numSamples], case .int = d.elementType else {
                throw DataError("\(path): /lengths is \(d.elementType) \(d.shape), expected integer [\(shard.numSamples)]")
            }
            lengths = d
        }
        return ShardFile(file: f, input: input, lengths: lengths)
    }

    /// The shard's labels, checked: integers, one per sample, each a class of the manifest.
    func labels(_ path: String, _ shard: ShardManifest.Shard, _ manifest: ShardManifest) throws -> [Int32] {
        let labelSet = try Self.dataset(file, "labels", path: path)
        guard labelSet.shape == [shard.numSamples], case .int = labelSet.elementType else {
            throw DataError("\(path): /labels is \(labelSet.elementType) \(labelSet.shape), expected integer [\(shard.numSamples)]")
        }
        let labels: [Int32] = try labelSet.read()
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= manifest.numClasses }) {
            throw DataError("\(path): label \(labels[bad]) of sample \(bad) is outside 0..<\(manifest.numClasses) (num_classes in the manifest)")
        }
        return labels
    }

    private static func dataset(_ f: HDF5File, _ name: String, path: String) throws -> HDF5Dataset {
        do { return try f.dataset(name) } catch let e as HDF5Error {
            throw DataError("\(path): dataset /\(name) expected by the manifest: \(e.message)")
        }
    }
}

/// The shard files of a dataset, each opened when first read (and then kept open), or
/// opened up front. On a parallel file system opening 1,000 shards on each of 256 ranks at
/// start-up is 256,000 metadata operations at once; opened as reads reach them, they spread
/// over the first epoch.
///
/// Sendable: `open`, `lengthValues` and `inMemory` are read and written only under `lock`.
final class ShardFiles: @unchecked Sendable {
    let manifest: ShardManifest
    let paths: [String]
    /// Whether each shard's whole input dataset is read once and then served from memory.
    let keepsInputsInMemory: Bool
    private let lock = NSLock()
    private var open: [ShardFile?]
    private var inMemory: [ShardBytes?]

    init(manifest: ShardManifest, paths: [String], opened: [ShardFile?]? = nil, keepsInputsInMemory: Bool = false) {
        self.manifest = manifest
        self.paths = paths
        self.keepsInputsInMemory = keepsInputsInMemory
        open = opened ?? Array(repeating: nil, count: paths.count)
        inMemory = Array(repeating: nil, count: paths.count)
    }

    /// The same files (those open stay open and are shared), with inputs kept in memory or not.
    func keepingInputsInMemory(_ keep: Bool) -> ShardFiles {
        ShardFiles(manifest: manifest, paths: paths, opened: lock.withLock { open }, keepsInputsInMemory: keep)
    }

    /// Bytes per stored value.
    var valueBytes: Int { manifest.dtype == "uint8" ? 1 : 4 }

    /// Bytes per stored sample.
    var sampleBytes: Int { manifest.sampleShape.reduce(valueBytes, *) }

    /// The stored values of `rows` of shard `i`: in memory when the inputs are kept there
    /// (the whole shard is read on first use), otherwise read into `staging`. Valid until
    /// `staging` is used again.
    func rows(_ i: Int, _ rows: Range<Int>, staging: StagingBuffer) throws -> UnsafeRawPointer {
        if keepsInputsInMemory { return UnsafeRawPointer(try shardInMemory(i).base + rows.lowerBound * sampleBytes) }
        let dst = staging.reserve(rows.count * sampleBytes)
        try read(i, rows, into: dst)
        return UnsafeRawPointer(dst)
    }

    /// The shards' inputs already in memory (nil for those not read yet), taken under the lock
    /// once for a whole batch; nil when inputs are read from the files.
    func inputsInMemory() -> [ShardBytes?]? { keepsInputsInMemory ? lock.withLock { inMemory } : nil }

    private func read(_ i: Int, _ rows: Range<Int>, into dst: UnsafeMutableRawPointer) throws {
        let input = try file(i).input
        if valueBytes == 1 {
            try input.read(rows: rows, into: dst.assumingMemoryBound(to: UInt8.self))
        } else {
            try input.read(rows: rows, into: dst.assumingMemoryBound(to: Float.self))
        }
    }

    /// Reads shard `i`'s inputs into memory, if they are not there yet.
    func loadIntoMemory(_ i: Int) throws {
        do { _ = try shardInMemory(i) } catch let e as HDF5Error {
            throw DataError("\(paths[i]): reading its inputs into memory failed: \(e.detail)")
        }
    }

    /// Shard `i`'s inputs in memory, read whole on first use (start-up reads them all). The lock
    /// guards the table only, not the read: one thread reads a set's batches (the loader's, or
    /// the training thread), so a shard is not read twice; if it were, both copies are equal.
    private func shardInMemory(_ i: Int) throws -> ShardBytes {
        if let kept = lock.withLock({ inMemory[i] }) { return kept }
        let bytes = ShardBytes(count: manifest.shards[i].numSamples * sampleBytes)
        try read(i, 0..<manifest.shards[i].numSamples, into: bytes.base)
        lock.withLock { inMemory[i] = bytes }
        return bytes
    }

    /// Shard `i`'s `/lengths` values (nil when the manifest has none), read and checked (each in
    /// 1…T) once and kept: a few bytes per sample, where a read per batch row would cost an HDF5
    /// call each.
    func lengths(_ i: Int) throws -> [Int32]? {
        if let cached = lock.withLock({ lengthValues[i] }) { return cached }
        guard let d = try file(i).lengths else { return nil }
        let values: [Int32]
        do { values = try d.read() } catch let e as HDF5Error { throw DataError("\(paths[i]): reading /lengths failed: \(e.detail)") }
        let steps = manifest.sampleShape[0]
        if let row = values.firstIndex(where: { $0 < 1 || Int($0) > steps }) {
            throw DataError("\(paths[i]): /lengths of sample \(row) is \(values[row]), outside 1...\(steps)")
        }
        lock.withLock { lengthValues[i] = values }
        return values
    }
    private var lengthValues: [Int: [Int32]] = [:]

    private func file(_ i: Int) throws -> ShardFile {
        try lock.withLock {
            if let file = open[i] { return file }
            let file = try ShardFile.open(paths[i], manifest.shards[i], manifest)
            open[i] = file
            return file
        }
    }

    /// Files opened so far.
    var openCount: Int { lock.withLock { open.count { $0 != nil } } }
}

/// One shard's stored input values, kept in memory.
final class ShardBytes: @unchecked Sendable {  // written once, before it is shared; read-only after
    let base: UnsafeMutableRawPointer
    init(count: Int) { base = .allocate(byteCount: max(count, 1), alignment: 64) }
    deinit { base.deallocate() }
}

/// A growable scratch buffer for stored values read from a file, reused for a batch's reads.
final class StagingBuffer {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0

    /// At least `bytes` bytes; earlier contents are not kept.
    func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity || base == nil {
            base?.deallocate()
            base = .allocate(byteCount: max(bytes, 1), alignment: 64)
            capacity = bytes
        }
        return base!
    }

    deinit { base?.deallocate() }
}
