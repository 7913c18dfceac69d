import Foundation
import LockstepData
import LockstepDistributed
import LockstepTensor
import LockstepTimeline

/// W6: minibatch reads of Fashion-MNIST train stored as one uint8 HDF5 shard with 256 samples
/// per chunk, through the reader training uses (`ShardSet.read`: uint8 → normalized Float).
/// Random batches (128 indices drawn without replacement, sorted) and sequential batches, and
/// random batches again from the inputs kept in memory.
/// The h5py side of the comparison is in launch/bench_reference.py.
public enum HDF5Bench {
    public static let samplesPerChunk = 256

    /// Writes the benchmark's shard into `directory` (once) and returns its manifest path.
    public static func prepare(fashionMNIST: String, directory: String) throws -> String {
        var writer = ShardWriter(directory: directory, name: "w6-fashion-mnist", shards: 1)
        writer.samplesPerChunk = samplesPerChunk
        if FileManager.default.fileExists(atPath: writer.manifestPath) { return writer.manifestPath }
        let (dims, bytes) = try IDXReader.read(try DatasetConverter.locate(fashionMNIST, "train-images-idx3-ubyte"))
        let (_, labels) = try IDXReader.read(try DatasetConverter.locate(fashionMNIST, "train-labels-idx1-ubyte"))
        try writer.write(images: bytes, sampleShape: [dims[1], dims[2], 1], labels: labels.map { Int32($0) }, numClasses: 10)
        return writer.manifestPath
    }

    public static func run(options: BenchOptions, comm: any Communicator) throws -> BenchReport {
        let directory = options.scratch ?? NSTemporaryDirectory() + "/lockstep-w6"
        if comm.rank == 0 { _ = try prepare(fashionMNIST: options.fashionMNIST, directory: directory) }
        try comm.barrier()
        // Not hashed first (W7 measures verification): h5py reads without it too, and hashing maps
        // the whole shard, which would count in the peak RSS.
        let shards = try ShardSet(manifestPath: try prepare(fashionMNIST: options.fashionMNIST, directory: directory), verifyChecksums: false)
        let batch = 128, n = shards.count
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: batch * shards.sampleSize)
        defer { buffer.deallocate() }
        var rng = CounterRNG(key: 0xB0B + UInt64(comm.rank))
        func randomBatch() -> [Int] {
            var picked = Set<Int>()
            while picked.count < batch { picked.insert(Int(rng.next() % UInt64(n))) }
            return picked.sorted()
        }
        let randomBatches = options.steps ?? 200
        func timed(_ batches: [[Int]], from set: ShardSet? = nil) throws -> Double {
            let set = set ?? shards
            let seconds = try BenchReport.slowestRank(comm) {
                for b in batches { _ = try set.read(b, into: buffer, normalization: .unitRange) }
            }
            return Double(batches.count * batch * comm.size) / seconds
        }
        _ = try timed((0..<10).map { _ in randomBatch() })  // warm-up (file open, chunk cache)
        var random: [Double] = [], sequential: [Double] = []
        for _ in 0..<options.repeats {
            random.append(try timed((0..<randomBatches).map { _ in randomBatch() }))
            sequential.append(try timed(stride(from: 0, to: n - batch + 1, by: batch).map { Array($0..<($0 + batch)) }))
        }
        // The peak RSS of the file reads (h5py's counterpart), before the dataset goes into memory.
        var report = BenchReport(workload: "W6", ranks: comm.size, threads: BLAS.threads, batch: batch,
                                 samplesPerSecAll: random, peakRSSBytes: try BenchReport.peakRSS(comm))
        // The same random batches from the inputs kept in memory (`data.cache`), as training reads them.
        let kept = shards.keepingInputsInMemory(true)
        try kept.loadInputsIntoMemory()
        let inMemory = try (0..<options.repeats).map { _ in try timed((0..<randomBatches).map { _ in randomBatch() }, from: kept) }
        report.extra = [("sequential_samples_per_sec", BenchReport.median(sequential)),
                        ("in_memory_random_samples_per_sec", BenchReport.median(inMemory)),
                        ("in_memory_peak_rss_bytes", Double(try BenchReport.peakRSS(comm))),
                        ("samples_per_chunk", Double(samplesPerChunk))]
        report.notes = [("file", shards.manifestPath)]
        return report
    }
}
