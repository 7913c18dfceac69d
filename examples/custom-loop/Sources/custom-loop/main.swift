// The minimal data-parallel training loop written on Lockstep's library: an MLP on
// Fashion-MNIST shards, every rank a replica, gradients averaged after each backward pass,
// checkpoints that resume bitwise. Launched like `lockstep` itself:
//
//     cd examples/custom-loop && swift build -c release && cd ../..
//     launch/run --bin examples/custom-loop/.build/release/custom-loop -n 2 -- --data data --steps 300
import ArgumentParser
import Foundation
import Lockstep

struct CustomLoop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custom-loop", abstract: "An MLP on Fashion-MNIST, trained by a hand-written data-parallel loop.")

    @Option(help: "Directory of fashion-mnist-{train,test}.manifest.json (`lockstep shard fashion-mnist --out DIR`).")
    var data = "data"
    @Option(help: "Optimizer steps in all.") var steps = 300
    @Option(help: "Samples per rank per step (the global batch is this × ranks).") var batchPerRank = 64
    @Option(help: "Learning rate (SGD, momentum 0.9).") var lr: Float = 0.05
    @Option(help: "Seed of the initialization and the data order.") var seed: UInt64 = 1
    @Option(help: "Run directory: model.h5 and checkpoints/ go there.") var out = "runs/custom-loop"
    @Option(help: "Write a checkpoint every this many steps (0: none); a rerun resumes from the latest.")
    var checkpointEvery = 0

    mutating func run() throws {
        let options = self
        let code = World.run { world in try options.train(world) }
        if code != 0 { throw ExitCode(code) }
    }

    func train(_ world: World) throws {
        // 1. The data: every step, each rank reads its slice of one global batch.
        let train = try ShardSet(manifestPath: "\(data)/fashion-mnist-train.manifest.json")
        let sampler = try DistributedSampler(numSamples: train.count, batchPerRank: batchPerRank, rank: world.rank,
                                             worldSize: world.size, seed: seed)
        let normalization = Normalization(scale: 1 / 255, mean: [0.286], std: [0.353])

        // 2. The model, made data-parallel: every replica starts from rank 0's parameters.
        let model = try Model(inputShape: train.sampleShape, root: Sequential {
            Flatten()
            Dense(outputSize: 256)
            ReLU()
            Dense(outputSize: 10)
        })
        model.arena.initialize(seed: seed)
        let net = try DataParallel(model, communicator: world.communicator)
        let optimizer = SGD(learningRate: lr, momentum: 0.9)
        let loss = SoftmaxCrossEntropy()

        // 3. Resume from the latest checkpoint, if there is one.
        let state = TrainingState(models: ["model": model], optimizers: ["model": optimizer])
        var at = TrainingPosition(step: 0, epoch: 0, positionInEpoch: 0)
        if let latest = try TrainingState.latest(in: out + "/checkpoints", communicator: world.communicator) {
            at = try state.restore(from: latest, communicator: world.communicator).position
            world.say("resumed from \(latest) at step \(at.step)")
        }

        // 4. The loop: forward, loss, backward (allreduce overlapping it), averaged update.
        while at.step < steps {
            let loader = BatchLoader(source: train, plan: sampler.batches(epoch: at.epoch, from: at.positionInEpoch),
                                     normalization: normalization)
            while at.step < steps, let batch = try loader.next() {
                let context = ForwardContext(training: true, seed: seed, step: at.step, rank: world.rank, samples: batch.indices)
                let value = try loss.forward(net.forward(batch.inputs, context), .classes(batch.labels))
                try net.backward(loss.backward())
                try net.step(optimizer)
                at.step += 1
                at.positionInEpoch += 1
                if at.step % 50 == 0 || at.step == steps {
                    let mean = try world.communicator.sum([Double(value)])[0] / Double(world.size)
                    world.say(String(format: "step %d  loss %.4f", at.step, mean))
                }
                if checkpointEvery > 0 && at.step % checkpointEvery == 0 {
                    try state.save(to: out + "/checkpoints", position: at, seed: seed, communicator: world.communicator)
                }
            }
            if at.positionInEpoch == sampler.stepsPerEpoch { at = TrainingPosition(step: at.step, epoch: at.epoch + 1, positionInEpoch: 0) }
        }

        // 5. Every rank scores its part of the test set; the counts are summed over ranks.
        let test = try ShardSet(manifestPath: "\(data)/fashion-mnist-test.manifest.json")
        let share = EvaluationSampler(numSamples: test.count, batchPerRank: 500, rank: world.rank, worldSize: world.size)
        let testLoader = BatchLoader(source: test, plan: share.batches, normalization: normalization)
        var right = 0.0
        while let batch = try testLoader.next() {
            let output = model.forward(batch.inputs, ForwardContext(training: false))
            let predicted = VectorOps.argmaxRows(output.data, rows: output.shape[0], cols: output.shape[1])
            right += Double(zip(predicted, batch.labels).filter { $0 == Int($1) }.count)
        }
        let accuracy = try world.communicator.sum([right])[0] / Double(test.count)
        world.say(String(format: "test accuracy %.2f%%", 100 * accuracy))

        // 6. Rank 0 writes the weights (`lockstep compare`, `predict` and `pretrained:` read them).
        if world.isCoordinator {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try ModelWeights.save(model, to: out + "/model.h5", attributes: ["step": String(at.step)])
            world.say("wrote \(out)/model.h5 after \(at.step) steps on \(world.size) ranks")
        }
    }
}

World.prepareProcess(label: "custom-loop")
CustomLoop.main()
