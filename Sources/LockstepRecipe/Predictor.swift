import Foundation
import LockstepData
import LockstepDistributed
import LockstepNN
import LockstepOperations
import LockstepOutputs
import LockstepTensor
import LockstepTrain

/// The model's outputs for every input, each computed once over all ranks: rank r takes the
/// block [r·N/W, (r+1)·N/W), then the blocks are summed into one [N, K] matrix on every rank.
public struct Predictor {
    public let recipe: Recipe
    public let communicator: any Communicator

    public init(recipe: Recipe, communicator: any Communicator) {
        self.recipe = recipe
        self.communicator = communicator
    }

    /// Outputs [N × classes] (logits), row i for input i (a collective call).
    public func outputs(of model: Model, on inputs: PredictionInputs, classes: Int) throws -> [Float] {
        let sampler = EvaluationSampler(numSamples: inputs.count, batchPerRank: recipe.training.evalBatchPerRank,
                                        rank: communicator.rank, worldSize: communicator.size)
        var all = [Float](repeating: 0, count: inputs.count * classes)
        var context = ForwardContext(training: false, seed: recipe.seed, rank: communicator.rank)
        // Shards are read ahead on the loader's thread, as evaluation reads them.
        var loader: BatchLoader?
        if case .shards(let set, _) = inputs {
            loader = BatchLoader(source: set, plan: sampler.batches, normalization: recipe.data.normalization, transform: recipe.data.transform,
                                 prefetch: recipe.pipeline.prefetch(for: set))
        }
        defer { loader?.stop() }
        try communicator.agreeing(on: "predicting", partialHint: "Each rank reads its own share of the inputs; the other ranks read theirs without error.") {
            reading: for batch in sampler.batches {
                let x: Tensor
                switch inputs {
                case .shards:
                    guard let read = try loader?.next() else { break reading }
                    (x, context.padding) = (read.inputs, read.padding)
                case .images(let paths, let h, let w, let c, let fit):
                    x = try images(paths, batch, height: h, width: w, channels: c, fit: fit)
                }
                let output = model.forward(x, context)
                guard output.count == batch.count * classes else {
                    throw RecipeError("the model gives \(output.count / max(batch.count, 1)) outputs per sample, expected \(classes)")
                }
                for (row, i) in batch.enumerated() {
                    for k in 0..<classes { all[i * classes + k] = output.data[row * classes + k] }
                }
            }
        }
        try all.withUnsafeMutableBufferPointer { try communicator.allreduceSum($0) }
        return all
    }

    /// One batch of image files as the model sees them (shards go through a `BatchLoader`).
    private func images(_ paths: [String], _ batch: [Int], height h: Int, width w: Int, channels c: Int, fit: ImageFit) throws -> Tensor {
        let data = recipe.data
        let coef = try data.normalization.coefficients(channels: c, bytes: true)
        let t = Tensor(shape: [batch.count, c, h, w])
        for (row, i) in batch.enumerated() {
            let image = try Image.read(paths[i]).fitted(height: h, width: w, fit: fit).converted(channels: c)
            image.pixels.withUnsafeBufferPointer {
                Normalization.planarize($0.baseAddress!, into: t.data + row * c * h * w, samples: 1, pixels: h * w, coef: coef)
            }
        }
        return data.transform.isIdentity ? t : try data.transform.apply(t)
    }
}
