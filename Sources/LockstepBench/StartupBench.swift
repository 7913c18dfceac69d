import Foundation
import Lockstep
import LockstepData
import LockstepDistributed
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain

/// W7: what happens before the first step, through the real `Trainer`, on a synthetic dataset
/// of `datasetGB` in `shards` shards (64×64×3 images, written once into the scratch
/// directory): a cold start (no verification cache), a warm one (the cache of the cold run),
/// and a forced one (`data.checksum_cache: false`). Each reports the time to the first step
/// (the slowest rank), the bytes hashed by the job and by the busiest rank, and the bytes
/// the busiest rank read. Then VGG-16 (224×224, 138 M parameters): build, the initial
/// broadcast, and rank 0 reading its weight file followed by the broadcast.
public enum StartupBench {
    public static func run(options: BenchOptions, comm: any Communicator) throws -> [BenchReport] {
        let directory = options.scratch ?? NSTemporaryDirectory() + "/lockstep-w7"
        let manifest = directory + "/w7-train.manifest.json"
        if comm.rank == 0 && !FileManager.default.fileExists(atPath: manifest) {
            let samples = Int(options.datasetGB * 1e9) / (64 * 64 * 3)
            _ = try DatasetConverter.synthetic(output: directory, name: "w7", shards: options.shards, sampleShape: [64, 64, 3], classes: 10,
                                               trainSamples: samples, testSamples: 64, seed: 7)
        }
        try comm.barrier()
        let datasetBytes = try ShardManifest.load(manifest).shards.reduce(Int64(0)) {
            $0 + (FileIdentity.of(VerificationPlan.shardPath($1.file, manifest: manifest))?.size ?? 0)
        }
        let runDirectory = directory + "/run-\(comm.size)"
        if comm.rank == 0 {
            for cache in [runDirectory + "/verified-shards.json", manifest + ".verified.json"] { try? FileManager.default.removeItem(atPath: cache) }
        }
        try comm.barrier()
        var reports: [BenchReport] = []
        for (mode, useCache) in [("cold", true), ("warm", true), ("forced", false)] {
            reports.append(try start(mode, manifest: manifest, runDirectory: runDirectory, useCache: useCache, datasetBytes: datasetBytes, comm))
        }
        reports.append(try vgg16(directory: directory, comm))
        return reports
    }

    /// One start of a one-step run; rank 0's report of every rank's figures.
    static func start(_ mode: String, manifest: String, runDirectory: String, useCache: Bool, datasetBytes: Int64,
                      _ comm: any Communicator) throws -> BenchReport {
        let recipe = try Recipe(yaml: """
            name: w7
            model: {name: mlp, hidden: [64]}
            data: {train: \(manifest), checksum_cache: \(useCache)}
            training: {batch_per_rank: 32, max_steps: 1, progress: none, tensorboard: false, stall_timeout: 0}
            checkpoint: {every_epoch: false}
            """)
        let trainer = Trainer(recipe: recipe, communicator: comm, outputDirectory: runDirectory, print: { _ in })
        try trainer.run()
        let s = trainer.startup ?? StartupTimes()
        var worst = [s.toFirstStep ?? 0, Double(s.hashedBytes), Double(s.readBytes ?? 0), Runtime.mpiInitSeconds]
        try worst.withUnsafeMutableBufferPointer { try comm.allreduceMax($0) }
        var report = BenchReport(workload: "W7-\(mode)", ranks: comm.size, threads: 1, batch: 32, samplesPerSecAll: [],
                                 peakRSSBytes: try BenchReport.peakRSS(comm))
        let verify = s.phases.first { $0.name == "verification" }?.seconds ?? 0
        report.headline = String(format: "first step after %.2f s; hashed %.2f GB in all (dataset %.2f GB), at most %.2f GB per rank; "
                                 + "at most %.2f GB read per rank", worst[0], Double(s.jobHashedBytes) / 1e9, Double(datasetBytes) / 1e9,
                                 worst[1] / 1e9, worst[2] / 1e9)
        report.extra = [("time_to_first_step_s", worst[0]), ("job_hashed_bytes", Double(s.jobHashedBytes)), ("dataset_bytes", Double(datasetBytes)),
                        ("max_rank_hashed_bytes", worst[1]), ("max_rank_read_bytes", worst[2]),
                        ("hash_gb_per_s_per_rank", verify > 0 ? worst[1] / 1e9 / verify : 0), ("mpi_init_s", worst[3])]
        report.notes = [("rank 0", s.line)]
        return report
    }

    /// VGG-16 at 224×224 with 1000 classes: build, initial broadcast, weight file read on rank 0 + broadcast.
    static func vgg16(directory: String, _ comm: any Communicator) throws -> BenchReport {
        func timed(_ body: () throws -> Void) throws -> Double {
            try comm.barrier()
            let start = Date()
            try body()
            try comm.barrier()
            return Date().timeIntervalSince(start)
        }
        var model: Model!
        let build = try timed { model = try ModelZoo.build(ModelSpec(name: "vgg16"), inputShape: [3, 224, 224], classes: 1000) }
        if comm.rank == 0 { model.arena.initialize(seed: 1) }
        let broadcast = try timed { try comm.broadcast(stateOf: model, root: 0) }
        let file = directory + "/vgg16-224.h5"
        if comm.rank == 0 && !FileManager.default.fileExists(atPath: file) { try ModelWeights.save(model, to: file) }
        let load = try timed {
            if comm.rank == 0 { try ModelWeights.load(file, into: model) }
            try comm.broadcast(stateOf: model, root: 0)
        }
        let bytes = Double(model.arena.parameterCount * 4)
        var report = BenchReport(workload: "W7-vgg16", ranks: comm.size, threads: 1, batch: 0, samplesPerSecAll: [],
                                 peakRSSBytes: try BenchReport.peakRSS(comm))
        report.headline = String(format: "%.0f MB of parameters: build %.2f s, initial broadcast %.2f s, weight file read (rank 0) + broadcast %.2f s",
                                 bytes / 1e6, build, broadcast, load)
        report.extra = [("parameter_bytes", bytes), ("build_s", build), ("broadcast_s", broadcast), ("read_and_broadcast_s", load)]
        return report
    }
}
