import Foundation
import LockstepData
import LockstepDistributed
import LockstepHDF5
import LockstepModels
import LockstepNN

/// What `train`, `eval` (and any command that runs a recipe's model on its data) set up the
/// same way: the datasets, restricted and checked against each other, and the model built for
/// them with replicas made identical.
extension Recipe {
    /// The training set (`data.train`), restricted to `data.classes` and `data.limit`.
    public func openTrainingData() throws -> ShardSet {
        try ShardSet(manifestPath: data.train, verifyChecksums: data.verifyChecksums)
            .restricted(classes: data.classes, limit: data.limit, seed: seed)
    }

    /// The test set (`data.test`, if any), restricted to `data.classes`; when `training` is
    /// given, its samples and classes must match it.
    public func openTestData(matching training: ShardSet? = nil) throws -> ShardSet? {
        guard let path = data.test else { return nil }
        let test = try ShardSet(manifestPath: path, verifyChecksums: data.verifyChecksums)
            .restricted(classes: data.classes, limit: nil, seed: seed)
        if let training, test.sampleShape != training.sampleShape || test.numClasses != training.numClasses {
            throw DataError("\(test.manifestPath): samples \(test.sampleShape) with \(test.numClasses) classes do not match the training set's \(training.sampleShape) with \(training.numClasses)")
        }
        return test
    }

    /// The test set opened on every rank together (a collective call): an error names every
    /// rank that could not open it.
    public func openTestDataOnEveryRank(_ comm: any Communicator) throws -> ShardSet {
        try comm.agreeing(on: "opening the test data", partialHint: TrainingRun.sharedDataHint) {
            guard let test = try openTestData() else { throw RecipeError("data.test is needed") }
            return test
        }
    }

    /// The recipe's model for samples of `data` (after `data.transform`), with one output per class.
    public func buildModel(for data: ShardSet) throws -> Model {
        let model = try ModelZoo.build(self.model, inputShape: try self.data.transform.outputShape(data.sampleShape),
                                       classes: data.numClasses)
        guard !usesClassTargets || model.outputShape == [data.numClasses] else {
            throw RecipeError("model output \(model.outputShape) does not fit \(data.numClasses) classes")
        }
        return model
    }
}

extension Model {
    /// Loads a weights file on rank 0 (the only rank that reads it) and gives every rank its
    /// parameters and buffers, so replicas are identical. A read that takes longer than
    /// `deadline` seconds (libhdf5 looping on a damaged file) ends the job naming the file.
    public func loadWeights(_ path: String, communicator: any Communicator, deadline: Double) throws {
        if communicator.rank == 0 {
            try ReadDeadline.within(deadline, reading: path, label: communicator.rankTag) { try ModelWeights.load(path, into: self) }
        }
        try communicator.broadcast(stateOf: self, root: 0)
    }
}
