// A DCGAN (Radford et al. 2016) on Fashion-MNIST, trained data-parallel on N ranks with
// Lockstep's library: two models, each with its own gradient reducer and Adam (β1 = 0.5), the
// discriminator's input gradient driving the generator's backward pass. Launched like
// `lockstep` itself:
//
//     launch/run --bin .build/release/gan -n 2 -- --data data/fashion-mnist-train.manifest.json --out runs/gan
//
// BatchNorm is synchronized over the ranks (its statistics are the global batch's), so N ranks
// × B train exactly as one rank × N·B; each fake image's noise is drawn from the seed, the step
// and the index of the real sample beside it, for the same reason.
import ArgumentParser
import Foundation
import Lockstep
import LockstepRecipe

struct GAN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan", abstract: "A DCGAN on Fashion-MNIST, trained data-parallel; writes its generator and a grid of samples.")

    @Option(help: "The training set's manifest (`lockstep shard fashion-mnist --out DIR`).")
    var data = "data/fashion-mnist-train.manifest.json"
    @Option(help: "Optimizer steps of each network.") var steps = 9000
    @Option(help: "Real images per rank per step (the global batch is this × ranks).") var batchPerRank = 32
    @Option(help: "Seed of the initialization, the data order and the noise.") var seed: UInt64 = 1
    @Option(help: "Output directory: generator.h5 (and as generator.onnx), discriminator.h5, samples.png, summary.json.") var out = "runs/gan"
    @Option(help: "A LeNet-5 (or other) classifier's model.h5 from `lockstep train`, to score 1,000 generated images.")
    var classifier: String?
    @Option(help: "Write a checkpoint every this many steps (0: none); a rerun resumes from the latest.")
    var checkpointEvery = 0
    @Option(help: "Print the losses every this many steps.") var logEvery = 100
    @Option(help: "Seconds a phase (a batch read, an allreduce, a checkpoint) may last before every rank ends, naming the ranks that hold the job up (0: no watchdog).")
    var stallTimeout = 600.0
    @Option(help: "With --classifier: also score the generator every this many steps (0: only at the end).")
    var scoreEvery = 0
    @Option(help: "Channels of the generator's last hidden layer and the discriminator's first (the others have twice as many).")
    var width = 32
    @Option(help: "The optimizer of both networks: adam (β1 = 0.5, as DCGAN) or sgd (momentum 0.5).")
    var optimizer = "adam"
    @Option(help: "The learning rate of both networks.") var lr: Float = 2e-4
    @Option(help: "Lower both learning rates linearly to 0 over this last fraction of the steps (0: constant).")
    var decayFraction: Float = 0
    @Option(help: "Decay of the generator's exponential moving average, which makes the samples and generator.h5 (0: the current weights).")
    var emaDecay: Float = 0.999

    mutating func run() throws {
        let options = self
        let code = World.run { world in try options.train(world) }
        if code != 0 { throw ExitCode(code) }
    }

    func train(_ world: World) throws {
        let started = Date()
        let train = try ShardSet(manifestPath: data)
        guard train.sampleShape == [1, 28, 28] else {
            throw DataError("\(data): samples of shape \(train.sampleShape); this DCGAN makes 28×28 grey images ([1, 28, 28])")
        }
        let sampler = try DistributedSampler(numSamples: train.count, batchPerRank: batchPerRank, rank: world.rank,
                                             worldSize: world.size, seed: seed)
        let toTanhRange = Normalization(scale: 1 / 255, mean: [0.5], std: [0.5])  // [0, 255] → [-1, 1]

        let generator = try DCGAN.generator(width: width, seed: seed)
        let discriminator = try DCGAN.discriminator(width: width, seed: seed)
        let g = try DataParallel(generator, communicator: world.communicator, synchronizesBatchNorm: true)
        let d = try DataParallel(discriminator, communicator: world.communicator, synchronizesBatchNorm: true)
        let optG = try DCGAN.optimizer(optimizer, learningRate: lr), optD = try DCGAN.optimizer(optimizer, learningRate: lr)
        let loss = BinaryCrossEntropy()

        // The moving average of the generator's weights (the weights themselves with --ema-decay 0),
        // which makes the images. Not data-parallel: rank 0 alone runs it, and its BatchNorm
        // layers are not synchronized (a synchronized one would wait for the other ranks).
        let average = try DCGAN.generator(width: width, seed: seed)
        _ = average.arena.valueBuffer.update(fromContentsOf: generator.arena.valueBuffer)
        let state = TrainingState(models: ["generator": generator, "discriminator": discriminator, "generator_average": average],
                                  optimizers: ["generator": optG, "discriminator": optD])
        let watchdog = stallTimeout > 0 ? try world.stallWatchdog(timeout: stallTimeout, reportDirectory: out + "/stalls") : nil
        defer { watchdog?.stop() }
        g.watchdog = watchdog
        d.watchdog = watchdog
        var at = TrainingPosition(step: 0, epoch: 0, positionInEpoch: 0)
        if let latest = try TrainingState.latest(in: out + "/checkpoints", communicator: world.communicator) {
            at = try state.restore(from: latest, communicator: world.communicator).position
            world.say("resumed from \(latest) at step \(at.step)")
        }

        let real = Tensor(shape: [batchPerRank, 1]), fake = Tensor(shape: [batchPerRank, 1])
        real.fill(1)
        fake.fill(0)
        var losses = (d: 0.0, g: 0.0)
        while at.step < steps {
            let loader = BatchLoader(source: train, plan: sampler.batches(epoch: at.epoch, from: at.positionInEpoch),
                                     normalization: toTanhRange)
            while at.step < steps {
                watchdog?.mark("reading the next batch", step: at.step)
                guard let batch = try loader.next() else { break }
                let context = ForwardContext(training: true, seed: seed, step: at.step, rank: world.rank, samples: batch.indices)
                let rate = DCGAN.learningRate(lr, step: at.step, of: steps, decayFraction: decayFraction)
                optG.learningRate = rate
                optD.learningRate = rate
                let images = g.forward(DCGAN.noise(samples: batch.indices, step: at.step, seed: seed), context)

                // The discriminator: real images are 1, generated ones 0; the two passes add up.
                let lossReal = try loss.forward(d.forward(batch.inputs, context), .values(real))
                try d.backward(loss.backward(), reduce: false)
                let lossFake = try loss.forward(d.forward(images, context), .values(fake))
                try d.backward(loss.backward(), accumulate: true)
                try d.step(optD)

                // The generator: make the updated discriminator say 1; its gradient flows back
                // through the discriminator's input (whose own gradients are not wanted here).
                let lossG = try loss.forward(d.forward(images, context), .values(real))
                let imageGradient = try d.backward(loss.backward(), needsInputGradient: true, reduce: false)!
                try g.backward(imageGradient)
                try g.step(optG)
                DCGAN.average(average, toward: generator, decay: emaDecay)

                at.step += 1
                at.positionInEpoch += 1
                if at.step % logEvery == 0 || at.step == steps {
                    let mean = try world.communicator.sum([Double(lossReal + lossFake), Double(lossG)]).map { $0 / Double(world.size) }
                    losses = (mean[0], mean[1])
                    world.say(String(format: "step %d  loss D %.4f  G %.4f  (%.0f s)", at.step, mean[0], mean[1],
                                     Date().timeIntervalSince(started)))
                }
                if let classifier, scoreEvery > 0, at.step % scoreEvery == 0, world.isCoordinator {
                    let score = try GeneratedImageScore(generator: average, classifier: classifier, seed: seed)
                    world.say("step \(at.step)  \(score)")
                }
                if checkpointEvery > 0 && at.step % checkpointEvery == 0 {
                    // Every replica must hold the same state before rank 0 writes it for all.
                    watchdog?.waiting("comparing the replicas and writing a checkpoint", step: at.step)
                    try state.checkReplicasAgree(communicator: world.communicator, step: at.step)
                    try state.save(to: out + "/checkpoints", position: at, seed: seed, communicator: world.communicator)
                }
            }
            if at.positionInEpoch == sampler.stepsPerEpoch { at = TrainingPosition(step: at.step, epoch: at.epoch + 1, positionInEpoch: 0) }
        }

        try state.checkReplicasAgree(communicator: world.communicator, step: at.step)
        watchdog?.stop()
        guard world.isCoordinator else { return }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try ModelWeights.save(average, to: out + "/generator.h5", attributes: ["step": String(at.step)])
        try ExportFormat.onnx.write(average, architecture: "dcgan-generator", to: out + "/generator.onnx", metadata: [
            "input.shape": String(DCGAN.codeSize), "input.layout": "N×\(DCGAN.codeSize) float32, standard normal noise",
            "output": "images [N, 1, 28, 28] in [-1, 1] (x / 2 + 0.5 gives Fashion-MNIST's [0, 1])",
        ])
        try ModelWeights.save(discriminator, to: out + "/discriminator.h5", attributes: ["step": String(at.step)])
        try DCGAN.sampleGrid(average, seed: seed).write(to: out + "/samples.png")
        var summary: [String: Any] = [
            "steps": at.step, "ranks": world.size, "global_batch": batchPerRank * world.size, "seed": seed,
            "width": width, "loss_discriminator": losses.d, "loss_generator": losses.g, "wall_time_s": Date().timeIntervalSince(started),
        ]
        if let classifier {
            let score = try GeneratedImageScore(generator: average, classifier: classifier, seed: seed)
            summary["classifier_confidence"] = score.confidence
            summary["classes_covered"] = score.classesCovered
            summary["class_counts"] = score.counts
            world.say("\(score)")
        }
        let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: URL(fileURLWithPath: out + "/summary.json"))
        world.say("wrote \(out)/generator.h5, discriminator.h5, samples.png, summary.json (\(at.step) steps on \(world.size) ranks)")
    }
}

World.prepareProcess(label: "gan")
GAN.main()
