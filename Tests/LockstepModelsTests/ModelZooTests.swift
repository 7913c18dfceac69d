import Foundation
import LockstepHDF5
import LockstepModels
import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

final class ModelZooTests: XCTestCase {
    /// Trainable scalars of a zoo network, counted without allocating its arena.
    func parameterCount(_ name: String, input: [Int] = [3, 224, 224], classes: Int = 1000, stem: ResNet.Stem = .imagenet) throws -> Int {
        let net = try ModelZoo.network(ModelSpec(name: name, stem: stem), inputShape: input, classes: classes)
        _ = try net.build(inputShape: input)
        return net.parameters.reduce(0) { $0 + $1.count }
    }

    func testParameterCountsEqualTorchvision() throws {
        XCTAssertEqual(try parameterCount("resnet18"), 11_689_512)
        XCTAssertEqual(try parameterCount("resnet34"), 21_797_672)
        XCTAssertEqual(try parameterCount("resnet50"), 25_557_032)
        XCTAssertEqual(try parameterCount("vgg11"), 132_863_336)
        XCTAssertEqual(try parameterCount("vgg16"), 138_357_544)
        XCTAssertEqual(try parameterCount("vgg16_bn"), 138_365_992)
        // The adaptive 7×7 pool keeps VGG's classifier (and count) at any input size.
        XCTAssertEqual(try parameterCount("vgg16", input: [3, 64, 64]), 138_357_544)
        XCTAssertEqual(try parameterCount("lenet5", input: [1, 28, 28], classes: 10), 61_706)
        XCTAssertEqual(try parameterCount("resnet18", input: [3, 32, 32], classes: 10, stem: .cifar), 11_173_962)
    }

    func testNamesAreTorchvisions() throws {
        let net = try ModelZoo.network(ModelSpec(name: "resnet18"), inputShape: [3, 32, 32], classes: 10)
        _ = try net.build(inputShape: [3, 64, 64])
        let names = net.parameters.map(\.name) + net.buffers.map(\.name)
        for expected in ["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer1.0.bn1.running_mean", "layer2.0.downsample.0.weight",
                         "layer2.0.downsample.1.running_var", "layer4.1.bn2.bias", "fc.weight", "fc.bias"] {
            XCTAssert(names.contains(expected), "missing \(expected)")
        }
        let vgg = try ModelZoo.network(ModelSpec(name: "vgg16"), inputShape: [3, 32, 32], classes: 10)
        _ = try vgg.build(inputShape: [3, 32, 32])
        XCTAssertEqual(vgg.parameters.first?.name, "features.0.weight")
        XCTAssertEqual(vgg.parameters.last?.name, "classifier.6.bias")
    }

    func testEveryBuilderNamesItsHead() throws {
        let cases: [(ModelSpec, [Int], String, [Int])] = [
            (ModelSpec(name: "mlp", hidden: [16, 8]), [1, 8, 8], "5", [3, 8]),
            (ModelSpec(name: "mlp", hidden: []), [1, 8, 8], "1", [3, 64]),
            (ModelSpec(name: "lenet5"), [1, 28, 28], "11", [3, 84]),
            (ModelSpec(name: "vgg11_bn"), [3, 32, 32], "classifier.6", [3, 4096]),
            (ModelSpec(name: "resnet18", stem: .cifar, widths: [4, 4, 8, 8]), [3, 16, 16], "fc", [3, 8]),
            (ModelSpec(name: "lstm", hidden: [12]), [1, 28, 28], "fc", [3, 12]),
            (ModelSpec(name: "gru", hidden: [5]), [3, 8, 8], "fc", [3, 5]),
        ]
        for (spec, input, head, weightShape) in cases {
            let model = try ModelZoo.build(spec, inputShape: input, classes: 3)
            XCTAssertEqual(model.headName, head, spec.name)
            XCTAssertEqual(model.headParameters.map(\.name), [head + ".weight", head + ".bias"], spec.name)
            XCTAssertEqual(model.headParameters.first?.shape, weightShape, spec.name)
        }
    }

    func testAModelLargerThanMemoryIsAnErrorNotACrash() {
        XCTAssertThrowsError(try ModelZoo.build(ModelSpec(name: "mlp", hidden: [1_000_000, 1_000_000]), inputShape: [1, 28, 28], classes: 10)) {
            XCTAssert("\($0)".contains("for its parameters and gradients (largest: 3.weight [1000000, 1000000]), more than this machine's"), "\($0)")
        }
    }

    func testInputTooSmallNamesTheLayerAndShapes() {
        XCTAssertThrowsError(try ModelZoo.build(ModelSpec(name: "lenet5"), inputShape: [1, 8, 8], classes: 10)) { error in
            XCTAssert("\(error)".contains("layer 3 (Conv2D)") && "\(error)".contains("[6, 4, 4]"), "\(error)")
        }
        XCTAssertThrowsError(try ModelZoo.build(ModelSpec(name: "resnet19"), inputShape: [3, 8, 8], classes: 10)) {
            XCTAssert("\($0)".contains("unknown model \"resnet19\""), "\($0)")
        }
    }

    /// Builds the fixture's architecture, loads PyTorch's weights, and compares eval outputs,
    /// train outputs, the cross-entropy loss and every parameter gradient with PyTorch's.
    ///
    /// With `conditioningAware`, train-mode results are compared norm-wise per tensor against
    /// a tolerance of max(1e-4, 3 × that tensor's own change when the input is scaled by
    /// 1 + 1e-6). Train-mode BatchNorm over 2 samples (8 values per channel in the last stage)
    /// makes a deep net's early gradients chaotic: measured when this test was written, a 1e-6
    /// input change moves ResNet-50-narrow's worst gradient by 1.1 %, and Lockstep differs from
    /// PyTorch by the same 1.1 % there, while ResNet-18-narrow moves by 1e-5 and matches to
    /// 1e-5. A wrong backward shows as an error far above its tensor's own sensitivity.
    func checkAgainstPyTorch(_ fixture: String, spec: ModelSpec, input: [Int], conditioningAware: Bool = false) throws {
        let g = try HDF5File.open(fixturePath("torch_models.h5")).group(fixture)
        let classes = try g.dataset("y_eval").shape[1]
        let model = try ModelZoo.build(spec, inputShape: input, classes: classes)
        XCTAssertEqual(model.arena.parameterCount, try g.intAttribute("num_parameters"), "\(fixture) parameter count")
        let contents = try SafeTensors.read(fixturePath("\(fixture).safetensors"))
        XCTAssert(contents.skipped.allSatisfy { $0.hasSuffix("num_batches_tracked") }, "\(contents.skipped)")
        func dataset(_ name: String) throws -> [Float] { try g.dataset(name).read(as: Float.self) }
        let x: [Float] = try dataset("x_eval")
        let labels = try dataset("labels_train").map { Int32($0) }

        try ModelWeights.apply(contents.tensors, to: model, source: fixture)
        let yEval = model.forward(Tensor(shape: [input.count > 0 ? x.count / input.reduce(1, *) : 0] + input, values: x),
                                  ForwardContext(training: false))
        assertClose(yEval.toArray(), try dataset("y_eval"), rtol: 1e-4, atol: 1e-5, "\(fixture) eval output")

        /// Train-mode output, loss and gradients from fresh weights, for the input scaled by `scale`.
        func trainStep(_ scale: Float) throws -> (y: [Float], loss: Float, grads: [String: [Float]]) {
            try ModelWeights.apply(contents.tensors, to: model, source: fixture)
            let xt = Tensor(shape: yEval.shape.prefix(1) + input, values: x.map { $0 * scale })
            let y = model.forward(xt, ForwardContext(training: true))
            let loss = SoftmaxCrossEntropy()
            let value = try loss.forward(y, .classes(labels))
            let yCopy = y.toArray()
            model.backward(loss.backward())
            return (yCopy, value, Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.gradient.toArray()) }))
        }
        func normRelative(_ a: [Float], _ b: [Float]) -> Float {
            let d = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let n = b.reduce(0.0) { $0 + Double($1) * Double($1) }
            return Float((d / max(n, 1e-30)).squareRoot())
        }
        let ours = try trainStep(1)
        let perturbed = conditioningAware ? try trainStep(1 + 1e-6) : nil
        func tolerance(_ a: [Float], _ b: [Float]?) -> Float { max(1e-4, 3 * (b.map { normRelative($0, a) } ?? 0)) }

        let yTrain = try dataset("y_train")
        if conditioningAware {
            let tol = tolerance(ours.y, perturbed?.y)
            XCTAssertLessThanOrEqual(normRelative(ours.y, yTrain), tol, "\(fixture) train output")
        } else {
            assertClose(ours.y, yTrain, rtol: 1e-4, atol: 1e-5, "\(fixture) train output")
        }
        assertClose([ours.loss], try dataset("loss_train"), rtol: 1e-4, "\(fixture) loss")
        let grads = try g.group("grad")
        for p in model.parameters {
            let expected: [Float] = try grads.dataset(p.name).read()
            let got = ours.grads[p.name]!
            if conditioningAware {
                let tol = tolerance(got, perturbed?.grads[p.name])
                XCTAssertLessThanOrEqual(normRelative(got, expected), tol, "\(fixture) grad \(p.name) (tolerance from its sensitivity)")
            } else {
                // Near-zero elements are compared on the scale of the tensor's largest one.
                let scale = expected.map(abs).max() ?? 0
                assertClose(got, expected, rtol: 1e-4, atol: max(1e-5, 1e-5 * scale), "\(fixture) grad \(p.name)")
            }
        }
    }

    func testResNet18MatchesPyTorch() throws {
        try checkAgainstPyTorch("resnet18_narrow", spec: ModelSpec(name: "resnet18", widths: [8, 16, 32, 64]), input: [3, 64, 64])
    }

    func testResNet50MatchesPyTorch() throws {
        try checkAgainstPyTorch("resnet50_narrow", spec: ModelSpec(name: "resnet50", widths: [8, 16, 32, 64]), input: [3, 64, 64],
                                conditioningAware: true)
    }

    func testVGGMatchesPyTorch() throws {
        let net = VGG.make(features: [.conv(8), .pool, .conv(16), .pool, .conv(32), .conv(32), .pool], batchNorm: false,
                           classifierWidth: 64, dropout: 0, classes: 10)
        let model = try Model(inputShape: [3, 56, 56], root: net)
        try ModelWeights.apply(try SafeTensors.read(fixturePath("vgg_mini.safetensors")).tensors, to: model, source: "vgg_mini")
        let g = try HDF5File.open(fixturePath("torch_models.h5")).group("vgg_mini")
        let x = try g.dataset("x_eval")
        let y = model.forward(Tensor(shape: x.shape, values: try x.read()), ForwardContext(training: false))
        assertClose(y.toArray(), try g.dataset("y_eval").read(), "vgg_mini eval output")
        let loss = SoftmaxCrossEntropy()
        _ = try loss.forward(model.forward(Tensor(shape: x.shape, values: try x.read()), ForwardContext(training: true)),
                             .classes(try g.dataset("labels_train").read(as: Float.self).map { Int32($0) }))
        model.backward(loss.backward())
        for p in model.parameters {
            assertClose(p.gradient.toArray(), try g.group("grad").dataset(p.name).read(), rtol: 1e-4, atol: 1e-6, "vgg_mini grad \(p.name)")
        }
    }

    func testSafeTensorsErrors() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = dir + "/bad.safetensors"
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 123]).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try SafeTensors.read(bad)) { XCTAssert("\($0)".contains("header length 200 exceeds"), "\($0)") }
        let truncated = dir + "/t.safetensors"
        let whole = try Data(contentsOf: URL(fileURLWithPath: fixturePath("vgg_mini.safetensors")))
        try whole.prefix(whole.count - 100).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try SafeTensors.read(truncated)) { XCTAssert("\($0)".contains("fall outside"), "\($0)") }
        // Sizes in a header are checked before any arithmetic or allocation: no trap, no huge buffer.
        func header(_ json: String, data: Int = 16) -> Data {
            let h = Array(json.utf8)
            return Data((0..<8).map { UInt8((h.count >> (8 * $0)) & 0xFF) } + h + [UInt8](repeating: 0, count: data))
        }
        for (json, expected) in [
            (#"{"w": {"dtype": "F32", "shape": [2147483648, 2147483648], "data_offsets": [0, 16]}}"#, "16 bytes for shape [2147483648, 2147483648] of F32, which needs more than can exist"),
            (#"{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#, "more elements than can exist"),
            (#"{"w": {"dtype": "F32", "shape": [-4, -1], "data_offsets": [0, 16]}}"#, "negative dimension"),
            (#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 9223372036854775807]}}"#, "fall outside"),
        ] {
            let path = dir + "/h.safetensors"
            try header(json).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SafeTensors.read(path), json) { XCTAssert("\($0)".contains(expected), "\($0)") }
        }
        XCTAssertEqual(SafeTensors.halfToFloat(0x3C00), 1)
        XCTAssertEqual(SafeTensors.halfToFloat(0xC000), -2)
        XCTAssertEqual(SafeTensors.halfToFloat(0x0001), 0x1p-24)
    }

    func testWeightMismatchListsTheDifferences() throws {
        let model = try ModelZoo.build(ModelSpec(name: "resnet18", widths: [8, 16, 32, 32]), inputShape: [3, 32, 32], classes: 10)
        XCTAssertThrowsError(try ModelWeights.apply(try SafeTensors.read(fixturePath("resnet18_narrow.safetensors")).tensors, to: model,
                                                    source: "resnet18_narrow.safetensors")) { error in
            XCTAssert("\(error)".contains("layer4.0.conv1.weight: file has [64, 32, 3, 3], model expects [32, 32, 3, 3]"), "\(error)")
        }
    }

    func testRecurrentClassifierReadsImagesRowByRow() throws {
        let model = try ModelZoo.build(ModelSpec(name: "lstm", hidden: [16]), inputShape: [1, 28, 28], classes: 10)
        XCTAssertEqual(model.parameters.map(\.name), ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                                                       "fc.weight", "fc.bias"])
        XCTAssertEqual(model.parameters[0].shape, [64, 28], "28 time steps of 28 features")
        XCTAssertEqual(try ModelZoo.build(ModelSpec(name: "gru", hidden: [4]), inputShape: [3, 8, 6], classes: 2).parameters[0].shape,
                       [12, 18], "RGB rows: 3 channels x 6 pixels per step")
        XCTAssertThrowsError(try ModelZoo.build(ModelSpec(name: "lstm", hidden: [64, 32]), inputShape: [1, 28, 28], classes: 10)) {
            XCTAssert("\($0)".contains("model.hidden must be one positive width"), "\($0)")
        }
    }

    func testNarrowVGGForSmallTests() throws {
        let spec = ModelSpec(name: "vgg11", widths: [8, 16, 16, 32, 32], dropout: 0.5, classifierWidth: 64)
        let model = try ModelZoo.build(spec, inputShape: [3, 32, 32], classes: 10)
        XCTAssertEqual(model.parameters.first { $0.name == "features.0.weight" }?.shape, [8, 3, 3, 3])
        XCTAssertEqual(model.parameters.first { $0.name == "classifier.0.weight" }?.shape, [64, 32 * 7 * 7])
        XCTAssertEqual(model.parameters.first { $0.name == "classifier.6.weight" }?.shape, [10, 64])
        XCTAssertThrowsError(try ModelZoo.build(ModelSpec(name: "vgg16", widths: [8, 16, 32, 64]), inputShape: [3, 32, 32], classes: 2)) {
            XCTAssert("\($0)".contains("widths must be 5 positive stage widths, got [8, 16, 32, 64]"), "\($0)")
        }
    }
}

final class PretrainedImportTests: XCTestCase {
    /// torchvision's vgg_mini state dict rewritten with timm's VGG names and shapes
    /// (pre_logits.fc1 as a 7×7 conv, fc2 as a 1×1 conv, head.fc) through SafeTensors.write;
    /// Pretrained.load must map it back and reproduce PyTorch's outputs.
    func testTimmNamedSafeTensorsReproducePyTorch() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let torch = try SafeTensors.read(fixturePath("vgg_mini.safetensors")).tensors
        let timm = torch.map { t -> NamedTensor in
            switch t.name {
            case "classifier.0.weight": return NamedTensor(name: "pre_logits.fc1.weight", shape: [64, 32, 7, 7], values: t.values)
            case "classifier.0.bias": return NamedTensor(name: "pre_logits.fc1.bias", shape: t.shape, values: t.values)
            case "classifier.3.weight": return NamedTensor(name: "pre_logits.fc2.weight", shape: [64, 64, 1, 1], values: t.values)
            case "classifier.3.bias": return NamedTensor(name: "pre_logits.fc2.bias", shape: t.shape, values: t.values)
            case let n where n.hasPrefix("classifier.6."): return NamedTensor(name: "head.fc." + n.dropFirst(13), shape: t.shape, values: t.values)
            default: return t
            }
        }
        let path = dir + "/vgg_mini_timm.safetensors"
        try SafeTensors.write(timm, to: path)
        XCTAssertEqual(try SafeTensors.read(path).tensors.map(\.name).sorted(), timm.map(\.name).sorted(), "round trip")
        let net = VGG.make(features: [.conv(8), .pool, .conv(16), .pool, .conv(32), .conv(32), .pool], batchNorm: false,
                           classifierWidth: 64, dropout: 0, classes: 10)
        let model = try Model(inputShape: [3, 56, 56], root: net)
        try Pretrained.load(path, into: model)
        let g = try HDF5File.open(fixturePath("torch_models.h5")).group("vgg_mini")
        let x = try g.dataset("x_eval")
        let y = model.forward(Tensor(shape: x.shape, values: try x.read()), ForwardContext(training: false))
        assertClose(y.toArray(), try g.dataset("y_eval").read(), "timm-named vgg_mini eval output")
    }

    func testFormatDetectionAndUnknownFiles() throws {
        let model = try Model(inputShape: [3, 32, 32], root: VGG.make(features: [.conv(8), .conv(8), .pool, .conv(16), .conv(16), .pool,
                                                                                 .conv(32), .conv(32), .conv(32), .pool],
                                                                      batchNorm: false, classifierWidth: 64, dropout: 0, pooledSize: nil, classes: 10))
        try Pretrained.load(fixturePath("keras3_vgg_mini.h5"), into: model)  // detected as Keras
        XCTAssertThrowsError(try Pretrained.load(fixturePath("torch_layers.h5"), into: model)) {
            XCTAssert("\($0)".contains("neither Keras layer_names nor a /model group"), "\($0)")
        }
        XCTAssertThrowsError(try Pretrained.load(fixturePath("torch_layers.h5"), format: .keras, into: model), "a forced format is used")
    }

}

final class SequenceModelTests: XCTestCase {
    /// The sequence models the zoo builds are PyTorch's, parameter for parameter: a Transformer
    /// encoder classifier and a stacked bidirectional LSTM classifier (make_sequence_fixtures.py).
    func testSequenceClassifiersMatchPyTorch() throws {
        let t = try TorchCase("transformer_classifier", file: "torch_sequence.h5")
        var spec = TransformerSpec()
        spec.dimension = try t.setting("dimension")
        spec.heads = try t.setting("heads")
        spec.feedForward = try t.setting("feed_forward")
        spec.positional = .learned
        let x = try t.tensor("x")
        try t.check(try TransformerClassifier.make(spec, layers: 2, dropout: 0, inputShape: Array(x.shape.dropFirst()),
                                                   classes: try t.setting("classes")))
        let r = try TorchCase("lstm_classifier", file: "torch_sequence.h5")
        try r.check(try RecurrentClassifier.make(cell: "lstm", hidden: [try r.setting("hidden")], layers: try r.setting("layers"),
                                                 bidirectional: true, inputShape: [7, 4], classes: try r.setting("classes")))
    }

    func testTransformerNamesWhatItExpects() {
        var spec = TransformerSpec()
        spec.dimension = 30
        spec.heads = 4
        XCTAssertThrowsError(try TransformerClassifier.make(spec, layers: 1, dropout: 0, inputShape: [5, 3], classes: 2)) {
            XCTAssert("\($0)".contains("model.dim (30) must be a positive multiple of model.heads (4)"), "\($0)")
        }
        var causal = TransformerSpec()
        causal.causal = true
        XCTAssertThrowsError(try TransformerClassifier.make(causal, layers: 1, dropout: 0, inputShape: [5, 3], classes: 2)) {
            XCTAssert("\($0)".contains("model.pooling: mean"), "\($0)")
        }
        XCTAssertThrowsError(try TransformerClassifier.make(TransformerSpec(), layers: 1, dropout: 0, inputShape: [20], classes: 2)) {
            XCTAssert("\($0)".contains("token ids need model.vocabulary"), "\($0)")
        }
    }

    /// The autoencoder is PyTorch's, parameter for parameter (make_decoder_fixtures.py).
    func testAutoencoderMatchesPyTorch() throws {
        let c = try TorchCase("autoencoder", file: "torch_decoder.h5")
        try c.check(try Autoencoder.make(inputShape: [1, 8, 8], widths: [try c.setting("widths_a"), try c.setting("widths_b")],
                                         code: try c.setting("code")))
        XCTAssertThrowsError(try Autoencoder.make(inputShape: [1, 10, 10], widths: [4, 8], code: 2)) {
            XCTAssert("\($0)".contains("multiples of 4"), "\($0)")
        }
    }
}
