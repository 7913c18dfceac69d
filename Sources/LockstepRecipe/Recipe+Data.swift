import Foundation
import Lockstep
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTrain

/// What `train`, `eval` (and any command that runs a recipe's model on its data) set up the
/// same way: the datasets, restricted and checked against each other, and the model built for
/// them with replicas made identical.
extension Recipe {
    /// Why data can open on some ranks and not on others.
    public static let sharedDataHint = "The other ranks could open it: on a cluster, the data must be on a file system every node sees "
        + "(a shared $WORK or $SCRATCH, not a node's local disk or /tmp), at the same path."
}

extension Recipe {
    /// Checks the shards of `manifests` against their sha256 (when `data.verify_checksums`),
    /// each hashed by one rank and skipped when the verification cache of `runDirectory` or of
    /// its manifest records it verified and unchanged (unless `data.checksum_cache` is false);
    /// a collective call. Returns what was done, for rank 0 to print.
    func verifyData(_ manifests: [String], runDirectory: String?, _ comm: any Communicator) throws -> DataVerification.Outcome? {
        guard data.verifyChecksums else { return nil }
        return try DataVerification.run(manifests, caches: DataVerification.cacheFiles(runDirectory: runDirectory, manifests: manifests),
                                         useCache: data.checksumCache, comm)
    }

    /// The test set restricted to `data.classes`, checked against the training set.
    private func restrictedTest(_ whole: ShardSet, matching training: ShardSet?) throws -> ShardSet {
        let test = try whole.restricted(classes: data.classes, limit: nil, seed: seed)
        if let training, test.sampleShape != training.sampleShape || test.numClasses != training.numClasses {
            throw DataError("\(test.manifestPath): samples \(test.sampleShape) with \(test.numClasses) classes do not match the training set's \(training.sampleShape) with \(training.numClasses)")
        }
        return test
    }

    /// The training and test sets on every rank (a collective call, after `verifyData`):
    /// rank 0 opens and checks every shard and reads all labels, which it broadcasts; the
    /// other ranks read the manifests, check that the shards exist, and open each shard when
    /// they first read from it. An error names every rank that met one.
    func openDataOnEveryRank(_ comm: any Communicator, node: CoreBudget, runDirectory: String, startup: inout StartupTimes,
                             say: (String) -> Void) throws -> (train: ShardSet, test: ShardSet?) {
        let manifests = [data.train] + (data.test.map { [$0] } ?? [])
        let present = try checkPresentOnEveryRank(manifests, what: "opening the data", comm)
        startup.lap("data check")
        if let done = try verifyData(manifests, runDirectory: runDirectory, comm) {
            say(done.summary)
            startup.hashedBytes = done.hashedBytesHere
            startup.jobHashedBytes = done.hashedBytes
        }
        startup.lap("verification")
        let sets = try shared(present, what: "opening the data", comm)
        startup.lap("opening")
        let opened = try comm.agreeing(on: "opening the data", partialHint: Recipe.sharedDataHint) {
            let train = try sets[0].restricted(classes: data.classes, limit: data.limit, seed: seed)
            return (train: train, test: try sets.count > 1 ? restrictedTest(sets[1], matching: train) : nil)
        }
        let train = try comm.agreeing(on: "reading the training data into memory", partialHint: Recipe.sharedDataHint) {
            try cached(opened.train, ranksPerNode: node.ranksPerNode)
        }
        if train.keepsInputsInMemory { startup.lap("into memory") }
        return (train, opened.test)
    }

    /// The training set with its inputs kept in memory as `data.cache` decides for this node
    /// (`ranksPerNode` ranks, each with its own copy), and read there now: part of the start-up,
    /// not the first steps' data wait.
    private func cached(_ train: ShardSet, ranksPerNode: Int) throws -> ShardSet {
        let keep = try data.cache.keeps(storedBytes: train.storedInputBytes, ranksPerNode: ranksPerNode,
                                        physicalMemory: InputCache.nodeMemory(), what: train.manifestPath)
        let kept = train.keepingInputsInMemory(keep)
        try kept.loadInputsIntoMemory()
        return kept
    }

    /// The test set, or the dataset of `manifest`, on every rank, as `openDataOnEveryRank`
    /// opens it (for `lockstep eval` and `predict`).
    public func openTestDataOnEveryRank(_ comm: any Communicator, manifest: String? = nil) throws -> ShardSet {
        guard let path = manifest ?? data.test else { throw RecipeError("data.test is needed") }
        let present = try checkPresentOnEveryRank([path], what: "opening the test data", comm)
        if let done = try verifyData([path], runDirectory: nil, comm), comm.rank == 0 { print(done.summary) }
        let test = try shared(present, what: "opening the test data", comm)[0]
        return try comm.agreeing(on: "opening the test data", partialHint: Recipe.sharedDataHint) { try restrictedTest(test, matching: nil) }
    }

    /// Every rank reads the manifests and sees their shards (a stat each), or every rank
    /// stops with an error naming the ranks that do not (data on one node's local disk).
    private func checkPresentOnEveryRank(_ manifests: [String], what: String, _ comm: any Communicator) throws -> [ShardSet.PresentShards] {
        try comm.agreeing(on: what, partialHint: Recipe.sharedDataHint) {
            try manifests.map { try ShardSet.checkPresent($0) }
        }
    }

    /// The datasets of `present`, opened by rank 0 and shared (see `openDataOnEveryRank`):
    /// the other ranks neither read the manifests nor stat the shards again.
    private func shared(_ present: [ShardSet.PresentShards], what: String, _ comm: any Communicator) throws -> [ShardSet] {
        let opened = try comm.agreeing(on: what, partialHint: Recipe.sharedDataHint) { () -> [ShardSet?] in
            comm.rank == 0 ? try present.map { try ShardSet(manifestPath: $0.manifestPath, verifyChecksums: false) } : present.map { _ in nil }
        }
        return try zip(present, opened).map { present, set in
            var labels = set?.labels ?? [Int32](repeating: 0, count: present.manifest.numSamples)
            try labels.withUnsafeMutableBytes { try comm.broadcast($0, root: 0) }
            return try set ?? ShardSet(present, labels: labels)
        }
    }

    /// The model for stored samples of `manifest` (its training set), and its class names:
    /// the manifest's, or those `data.classes` selects (for `lockstep predict` on image files).
    public func modelAndClasses(trainedOn manifest: ShardManifest) throws -> (Model, [String]) {
        let names = (0..<manifest.numClasses).map(manifest.className)
        let classes = try data.classes.map { chosen in
            try chosen.map { c in
                guard c < names.count else { throw RecipeError("data.classes has \(c); \(manifest.name) has \(names.count) classes") }
                return names[c]
            }
        } ?? names
        let model = try ModelZoo.build(self.model, inputShape: try self.data.transform.outputShape(manifest.modelInputShape),
                                       classes: classes.count)
        return (model, classes)
    }

    /// The recipe's model for samples of `data` (after `data.transform`), with one output per class.
    public func buildModel(for data: ShardSet) throws -> Model {
        let inputShape = try self.data.transform.outputShape(data.sampleShape)
        guard self.data.augmentation.isIdentity || inputShape.count == 3 else {
            throw RecipeError("data.augment changes images, but \(data.manifestPath) holds samples of shape \(inputShape)")
        }
        let model = try ModelZoo.build(self.model, inputShape: inputShape, classes: data.numClasses)
        guard !usesClassTargets || model.outputShape == [data.numClasses] else {
            throw RecipeError("model output \(model.outputShape) does not fit \(data.numClasses) classes")
        }
        return model
    }
}

extension Model {
    /// Loads a weights file on rank 0 (the only rank that reads it) and gives every rank its
    /// parameters and buffers, so replicas are identical. Any file `pretrained:` reads will do:
    /// a run's model.h5, a checkpoint, a .safetensors, a Keras .h5. A read that takes longer than
    /// `deadline` seconds (libhdf5 looping on a damaged file) ends the job naming the file.
    public func loadWeights(_ path: String, communicator: any Communicator, deadline: Double) throws {
        if communicator.rank == 0 {
            try ReadDeadline.within(deadline, reading: path, label: communicator.rankTag) { try Pretrained.load(path, into: self) }
        }
        try communicator.broadcast(stateOf: self, root: 0)
    }
}
