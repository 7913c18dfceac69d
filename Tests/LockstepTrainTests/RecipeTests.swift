import Foundation
import LockstepData
import LockstepOperations
import LockstepOutputs
import LockstepRecipe
import LockstepTrain
import XCTest

final class RecipeTests: XCTestCase {
    let base = """
        name: t
        seed: 3
        model: {name: mlp, hidden: [32]}
        data: {train: a.json, test: b.json}
        training: {epochs: 2, batch_per_rank: 16}
        optimizer: {name: sgd, lr: 0.1, momentum: 0.9}
        """

    func testParsesWithDefaults() throws {
        let r = try Recipe(yaml: base)
        XCTAssertEqual(r.model.hidden, [32])
        XCTAssertEqual(r.model.activation, "relu")
        XCTAssertEqual(r.training.batchPerRank, 16)
        XCTAssertEqual(r.training.evalBatchPerRank, 256)
        XCTAssertEqual(r.optimizer.momentum, 0.9)
        XCTAssertNil(r.data.normalization.scale, "derived from the samples' type")
        XCTAssertEqual(try r.data.normalization.coefficients(channels: 1, bytes: true)[0].a, 1 / 255)
        XCTAssertEqual(r.output, "runs/t")
        XCTAssertTrue(r.data.verifyChecksums)
    }

    func testOverridesAreTypedAndLandInTheResolvedRecipe() throws {
        let r = try Recipe(yaml: base, overrides: ["optimizer.lr=0.5", "model.hidden=[8, 4]", "optimizer.nesterov=true",
                                                   "data.normalize.mean=0.5", "data.test=null"])
        XCTAssertEqual(r.optimizer.learningRate, 0.5)
        XCTAssertEqual(r.model.hidden, [8, 4])
        XCTAssertTrue(r.optimizer.nesterov)
        XCTAssertEqual(r.data.normalization.mean, [0.5])
        XCTAssertNil(r.data.test)
        XCTAssert(r.resolvedYAML.contains("lr: 0.5"), r.resolvedYAML)
    }

    /// The sequence and autoencoder keys reach the model spec; an autoencoder refuses a class loss.
    func testSequenceAndAutoencoderKeys() throws {
        let t = try Recipe(yaml: """
            model: {name: transformer, dim: 32, heads: 2, layers: 3, vocabulary: 23, pooling: mean, positional: learned, norm_first: false, causal: true}
            data: {train: t.json}
            training: {batch_per_rank: 8}
            """)
        XCTAssertEqual([t.model.transformer.dimension, t.model.transformer.heads, t.model.layers, t.model.transformer.vocabulary], [32, 2, 3, 23])
        XCTAssertEqual(t.model.transformer.pooling, .mean)
        XCTAssertEqual(t.model.transformer.positional, .learned)
        XCTAssert(!t.model.transformer.normFirst && t.model.transformer.causal)
        let r = try Recipe(yaml: "model: {name: gru, hidden: [16], layers: 2, bidirectional: true}\ndata: {train: t.json}\ntraining: {batch_per_rank: 8}")
        XCTAssert(r.model.bidirectional && r.model.layers == 2)
        let a = try Recipe(yaml: "model: {name: autoencoder, code: 8}\nloss: bce\ndata: {train: t.json}\ntraining: {batch_per_rank: 8}")
        XCTAssert(a.reconstructs && !a.usesClassTargets && a.model.code == 8)
        XCTAssertThrowsError(try Recipe(yaml: "model: {name: autoencoder}\ndata: {train: t.json}\ntraining: {batch_per_rank: 8}")) {
            XCTAssert("\($0)".contains("set loss to bce or mse"), "\($0)")
        }
        let refused = [
            ("model: {name: mlp}\nloss: bce", "loss bce takes probabilities"),
            ("model: {name: autoencoder}\nloss: bce\ndata: {train: t.json, normalize: {mean: 0.5}}", "would move it out of"),
            ("model: {name: autoencoder}\nloss: mse\ncheckpoint: {monitor: test_accuracy}", "has no accuracy"),
        ]
        for (text, message) in refused {
            let full = text + (text.contains("data:") ? "" : "\ndata: {train: t.json}") + "\ntraining: {batch_per_rank: 8}"
            XCTAssertThrowsError(try Recipe(yaml: full), text) {
                XCTAssert("\($0)".contains(message), "\($0)")
            }
        }
        XCTAssertThrowsError(try Recipe(yaml: "model: {name: transformer, pooling: max}\ndata: {train: t.json}\ntraining: {batch_per_rank: 8}")) {
            XCTAssert("\($0)".contains("model.pooling"), "\($0)")
        }
    }

    func testUnknownKeyIsNamedWithTheKnownOnes() {
        XCTAssertThrowsError(try Recipe(yaml: base + "\nextra: 1", source: "r.yaml")) { error in
            XCTAssert("\(error)".contains("r.yaml: unknown recipe key 'extra'"), "\(error)")
        }
        XCTAssertThrowsError(try Recipe(yaml: base, source: "r.yaml", overrides: ["optimizer.momentun=0.9"])) { error in
            XCTAssert("\(error)".contains("unknown recipe key 'optimizer.momentun'") && "\(error)".contains("momentum"), "\(error)")
        }
    }

    /// Each override must make the base recipe an error whose message contains the text given.
    func assertRejected(_ cases: [(override: String, message: String)], line: UInt = #line) {
        for (override, expected) in cases {
            XCTAssertThrowsError(try Recipe(yaml: base, source: "r.yaml", overrides: [override]), override, line: line) { error in
                XCTAssert("\(error)".contains(expected), "\(override): \(error)", line: line)
            }
        }
    }

    func testWrongTypesAndValuesAreNamed() {
        let cases: [(String, String)] = [
            ("training.epochs=two", "'training.epochs' must be an integer, got two"),
            ("training.batch_per_rank=0", "'training.batch_per_rank' must be ≥ 1"),
            ("optimizer.lr=fast", "'optimizer.lr' must be a number"),
            ("optimizer.name=rmsprop", "'optimizer.name' is \"rmsprop\""),
            ("model.hidden=12", "'model.hidden' must be a list of integers"),
            ("data.verify_checksums=maybe", "'data.verify_checksums' must be true or false"),
            ("loss=hinge", "'loss' is \"hinge\""),
        ]
        assertRejected(cases)
        XCTAssertEqual(try Recipe(yaml: base, overrides: ["optimizer.momentum=0"]).optimizer.momentum, 0, "momentum 0 is plain SGD")
        XCTAssertThrowsError(try Recipe(yaml: base, overrides: ["optimizer.nesterov=true", "optimizer.momentum=0"])) {
            XCTAssert("\($0)".contains("nesterov needs momentum"), "\($0)")
        }
        XCTAssertThrowsError(try Recipe(yaml: base, overrides: ["lr"])) { XCTAssert("\($0)".contains("expected key=value"), "\($0)") }
        XCTAssertThrowsError(try Recipe(yaml: "model: [", source: "r.yaml")) { XCTAssert("\($0)".contains("r.yaml: not valid YAML"), "\($0)") }
        XCTAssertThrowsError(try Recipe(yaml: "name: x\nmodel: {name: mlp}\ntraining: {batch_per_rank: 2}")) {
            XCTAssert("\($0)".contains("'data.train' is required"), "\($0)")
        }
    }

    func testScheduleRegularizationAndLossSections() throws {
        let r = try Recipe(yaml: base + """

            loss: {name: cross_entropy, label_smoothing: 0.1}
            schedule: {name: cosine, warmup_epochs: 1, reference_batch: 256}
            regularization:
              - {l2: 0.0001}
              - {l1: 0.001, params: ["fc.*"]}
            """, overrides: ["optimizer.clip_grad_norm=2"])
        XCTAssertEqual(r.labelSmoothing, 0.1)
        XCTAssertEqual(r.regularization.count, 2)
        XCTAssertEqual(r.regularization[1].selection.patterns, ["fc.*"])
        XCTAssertEqual(r.optimizer.clipGradNorm, 2)
        let s = r.makeSchedule(globalBatch: 512, stepsPerEpoch: 10)
        XCTAssertEqual(s.baseRate, 0.2, accuracy: 1e-7, "0.1 × 512/256")
        XCTAssertEqual(s.warmupSteps, 10)
        // The loss shorthand expands when a --set reaches into it.
        let short = try Recipe(yaml: base + "\nloss: mse", overrides: ["loss.label_smoothing=0.2"])
        XCTAssertEqual(short.loss, .mse)
        XCTAssertEqual(short.labelSmoothing, 0.2)
        XCTAssertThrowsError(try Recipe(yaml: base + "\nregularization: [{l3: 1}]", source: "r.yaml")) {
            XCTAssert("\($0)".contains("unknown recipe key 'regularization.l3'"), "\($0)")
        }
        XCTAssertThrowsError(try Recipe(yaml: base + "\nregularization: [{l2: high}]", source: "r.yaml")) {
            XCTAssert("\($0)".contains("'regularization[0].l2' must be a number"), "\($0)")
        }
        XCTAssertThrowsError(try Recipe(yaml: base, overrides: ["schedule.name=linear"])) {
            XCTAssert("\($0)".contains("'schedule.name' is \"linear\""), "\($0)")
        }
    }

    func testEveryExampleRecipeParses() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        let files = FileManager.default.enumerator(atPath: examples.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 6, "\(files)")
        for file in files {
            let path = examples.appendingPathComponent(file).path
            XCTAssertNoThrow(try Recipe(yaml: String(contentsOfFile: path, encoding: .utf8), source: path), file)
        }
        let mlp = try Recipe.load(examples.appendingPathComponent("fashion-mnist-mlp.yaml").path)
        XCTAssertEqual(mlp.model.hidden, [512, 256])
        XCTAssertEqual(mlp.training.epochs, 2)
    }

    /// docs/recipes.md's key table is generated from the key declarations (`lockstep recipe-keys`);
    /// a key added, renamed or re-documented without regenerating it fails here.
    func testReadmeKeyTableIsTheDeclaredOne() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/recipes.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        // The markers on lines of their own (the page also quotes them in a command).
        let begin = try XCTUnwrap(text.range(of: "\n<!-- recipe-keys:begin -->\n"))
        let end = try XCTUnwrap(text.range(of: "\n<!-- recipe-keys:end -->", range: begin.upperBound..<text.endIndex))
        XCTAssertEqual(String(text[begin.upperBound...end.lowerBound]), Recipe.keyTable,
                       "docs/recipes.md's key table is stale: replace it with the output of `lockstep recipe-keys`")
    }

    /// `data.cache` defaults to auto; the loader reads in the training thread only for inputs in
    /// memory with no core to spare, unless `data.prefetch` says.
    func testCacheAndPrefetchDefaults() throws {
        let r = try Recipe(yaml: base)
        XCTAssertEqual(r.data.cache, .auto)
        XCTAssertNil(r.data.prefetch)
        XCTAssertEqual(try Recipe(yaml: base, overrides: ["data.cache=none", "data.prefetch=0"]).data.prefetch, 0)
        let dir = NSTemporaryDirectory() + "/recipe-prefetch-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ShardWriter(directory: dir, name: "d", shards: 1).write(images: [1, 2], sampleShape: [1, 1, 1], labels: [0, 1], numClasses: 2)
        let files = try ShardSet(manifestPath: dir + "/d.manifest.json"), memory = files.keepingInputsInMemory(true)
        let full = CoreBudget(ranksPerNode: 2, threadsPerRank: 1, cores: 2), spare = CoreBudget(ranksPerNode: 1, threadsPerRank: 1, cores: 2)
        XCTAssertEqual(r.pipeline.prefetch(for: memory, node: full), 0)
        XCTAssertEqual(r.pipeline.prefetch(for: memory, node: spare), 2)
        XCTAssertEqual(r.pipeline.prefetch(for: memory), 2, "no node known: a thread")
        XCTAssertEqual(r.pipeline.prefetch(for: files, node: full), 2)
        XCTAssertEqual(try Recipe(yaml: base, overrides: ["data.prefetch=3"]).pipeline.prefetch(for: memory, node: full), 3)
    }

    func testEnumKeysAndBoundsAreCheckedAtLoad() throws {
        let cases = [
            ("model.activation=rleu", "'model.activation' is \"rleu\"; known: "),
            ("model.stem=tiny", "'model.stem' is \"tiny\"; known: imagenet, cifar"),
            ("model.name=resnet19", "'model.name' is \"resnet19\""),
            ("pretrained.format=onnx", "'pretrained.format' is \"onnx\"; known: auto, keras, safetensors, lockstep"),
            ("checkpoint.mode=maximum", "'checkpoint.mode' is \"maximum\""),
            ("checkpoint.monitor=val_acc", "'checkpoint.monitor' is \"val_acc\""),
            ("data.preprocess=keras", "'data.preprocess' is \"keras\""),
            ("loss.label_smoothing=1", "'loss.label_smoothing' must be < 1, got 1"),
            ("data.normalize.std=[0.5, 0]", "'data.normalize.std' must be > 0, got 0"),
            ("model.hidden=[8, 0]", "'model.hidden' must be ≥ 1, got 0"),
            ("model.hidden=[100000000000]", "'model.hidden' must be ≤ 1048576, got 100000000000"),
            ("model.dropout=1.5", "'model.dropout' must be < 1, got 1.5"),
            ("data.cache=ram", "'data.cache' is \"ram\"; known: auto, memory, none"),
            ("data.prefetch=-1", "'data.prefetch' must be ≥ 0, got -1"),
        ]
        assertRejected(cases.map { ($0.0, "r.yaml: recipe key " + $0.1) })
        let r = try Recipe(yaml: base, overrides: ["model.stem=cifar", "pretrained=w.h5", "pretrained.format=keras", "checkpoint.monitor=test_loss"])
        XCTAssertEqual(r.model.stem, .cifar)
        XCTAssertEqual(r.fineTuning.format, .keras)
        XCTAssertEqual(r.fineTuning.pretrained, "w.h5", "a missing file is the trainer's error, not the parser's")
        XCTAssertEqual(r.checkpoint.mode, .min, "a loss is minimized unless the recipe says otherwise")
    }
}
