import Foundation
import Lockstep
import LockstepRecipe

/// How a classifier trained on the real data sees 1,000 generated images: its mean top-1
/// probability (recognizable garments score high) and how many classes get at least 5 % of the
/// images (a generator that collapsed onto a few kinds covers few).
struct GeneratedImageScore: CustomStringConvertible {
    let confidence: Double
    let classesCovered: Int
    let counts: [Int]

    /// Builds the classifier from the recipe saved in its model.h5 (as `lockstep train` writes
    /// it) and normalizes the images as that recipe did.
    init(generator: Model, classifier path: String, seed: UInt64, count: Int = 1000) throws {
        let recipeText: String
        do { recipeText = try HDF5File.open(path).stringAttribute("recipe") } catch {
            throw DataError("\(path): no recipe attribute; give a model.h5 written by `lockstep train` (\(error))")
        }
        let recipe = try Recipe(yaml: recipeText, source: path)
        let model = try ModelZoo.build(recipe.model, inputShape: [1, 28, 28], classes: 10)
        try ModelWeights.load(path, into: model)
        let images = DCGAN.generate(generator, count: count, seed: seed &+ 7)
        let ab = try recipe.data.normalization.coefficients(channels: 1, bytes: false)[0]
        // The recipe's normalization as it applies to [0, 1] pixels: its scale took bytes there.
        let scale = recipe.data.normalization.scale.map { $0 * 255 } ?? 1
        for i in 0..<images.count { images[i] = images[i] * scale * ab.a + ab.b }
        let logits = model.forward(images, ForwardContext(training: false))
        var counts = [Int](repeating: 0, count: 10), total = 0.0
        for s in 0..<count {
            let row = (0..<10).map { logits[s * 10 + $0] }
            let top = row.max()!, sum = row.reduce(0.0) { $0 + exp(Double($1 - top)) }
            total += 1 / sum
            counts[row.firstIndex(of: top)!] += 1
        }
        confidence = total / Double(count)
        classesCovered = counts.filter { Double($0) >= 0.05 * Double(count) }.count
        self.counts = counts
    }

    var description: String {
        String(format: "classifier: confidence %.3f, %d classes covered (counts %@)", confidence, classesCovered,
               counts.map(String.init).joined(separator: " "))
    }
}
