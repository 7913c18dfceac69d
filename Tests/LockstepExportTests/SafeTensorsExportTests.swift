import Foundation
import LockstepExport
import LockstepModels
import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// safetensors exports compared with files PyTorch wrote (torchvision's model code) and with
/// torchvision's own state dicts (`export_reference.json`).
final class SafeTensorsExportTests: XCTestCase {
    /// The header of a safetensors file: name → (dtype, shape), and the raw bytes of each tensor.
    func entries(_ path: String) throws -> [String: (dtype: String, shape: [Int], bytes: Data)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as! [String: Any]
        var out: [String: (String, [Int], Data)] = [:]
        for (name, value) in header where name != "__metadata__" {
            let e = value as! [String: Any], offsets = e["data_offsets"] as! [Int]
            out[name] = (e["dtype"] as! String, e["shape"] as! [Int], data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1])))
        }
        return out
    }

    func temporary(_ name: String) -> String { NSTemporaryDirectory() + "lockstep-export-\(getpid())-" + name }

    /// The torch-written state dict, loaded and exported again: the same names, dtypes, shapes
    /// and float values (num_batches_tracked carries the count given).
    func checkAgainstTorchFile(_ fixture: String, _ model: Model) throws {
        let torch = try entries(fixturePath(fixture))
        try ModelWeights.apply(try SafeTensors.read(fixturePath(fixture)).tensors, to: model, source: fixture)
        let out = temporary(fixture)
        defer { unlink(out) }
        try ExportFormat.safetensors.write(model, architecture: "test", to: out, metadata: [:], batchesTracked: 5)
        let ours = try entries(out)
        XCTAssertEqual(Set(ours.keys), Set(torch.keys), "\(fixture): names")
        for (name, t) in torch {
            guard let o = ours[name] else { continue }
            XCTAssertEqual(o.dtype, t.dtype, "\(fixture) \(name) dtype")
            XCTAssertEqual(o.shape, t.shape, "\(fixture) \(name) shape")
            if t.dtype == "F32" { XCTAssertEqual(o.bytes, t.bytes, "\(fixture) \(name) values") }
            else { XCTAssertEqual(o.bytes, Data([5, 0, 0, 0, 0, 0, 0, 0]), "\(fixture) \(name): the count given, int64") }
        }
    }

    func testResNet18MatchesTheTorchFile() throws {
        try checkAgainstTorchFile("resnet18_narrow.safetensors",
                                  try ModelZoo.build(ModelSpec(name: "resnet18", widths: [8, 16, 32, 64]), inputShape: [3, 64, 64], classes: 10))
    }

    func testResNet50MatchesTheTorchFile() throws {
        try checkAgainstTorchFile("resnet50_narrow.safetensors",
                                  try ModelZoo.build(ModelSpec(name: "resnet50", widths: [8, 16, 32, 64]), inputShape: [3, 64, 64], classes: 10))
    }

    func testVGGMatchesTheTorchFile() throws {
        let net = VGG.make(features: [.conv(8), .pool, .conv(16), .pool, .conv(32), .conv(32), .pool], batchNorm: false,
                           classifierWidth: 64, dropout: 0, classes: 10)
        try checkAgainstTorchFile("vgg_mini.safetensors", try Model(inputShape: [3, 56, 56], root: net))
    }

    /// Full-size models: the export lists exactly what torchvision's `state_dict()` holds.
    func testFullSizeModelsHaveTorchvisionsStateDicts() throws {
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixturePath("export_reference.json")))) as! [String: Any]
        let torchvision = reference["torchvision"] as! [String: [[Any]]]
        for name in ["resnet18", "resnet34", "resnet50", "vgg11", "vgg11_bn", "vgg16", "vgg16_bn"] {
            let model = try ModelZoo.build(ModelSpec(name: name), inputShape: [3, 224, 224], classes: 1000)
            let ours = SafeTensorsExport.entries(of: model).map { [$0.name, $0.shape.map(String.init).joined(separator: "x"), $0.dtype] }
            let theirs = torchvision[name]!.map { e in
                [e[0] as! String, (e[1] as! [Int]).map(String.init).joined(separator: "x"), (e[2] as! String) == "int64" ? "I64" : "F32"]
            }
            XCTAssertEqual(ours.sorted { $0[0] < $1[0] }, theirs.sorted { $0[0] < $1[0] }, "\(name): torchvision's state dict")
        }
    }

    /// Export, then Lockstep's own importer: the same outputs, bit for bit.
    func testRoundTripGivesTheSameOutputs() throws {
        let spec = ModelSpec(name: "resnet18", widths: [4, 8, 8, 8])
        let a = try ModelZoo.build(spec, inputShape: [3, 32, 32], classes: 5), b = try ModelZoo.build(spec, inputShape: [3, 32, 32], classes: 5)
        for buffer in a.buffers { buffer.value.assign((0..<buffer.value.count).map { Float($0 % 7) * 0.1 + 0.5 }) }
        let out = temporary("roundtrip.safetensors")
        defer { unlink(out) }
        try ExportFormat.safetensors.write(a, architecture: "resnet18", to: out, metadata: [:])
        try Pretrained.load(out, into: b)
        let x = Tensor(shape: [2, 3, 32, 32], values: (0..<(2 * 3 * 32 * 32)).map { sinf(Float($0)) })
        XCTAssertEqual(a.forward(x, ForwardContext(training: false)).toArray(), b.forward(x, ForwardContext(training: false)).toArray())
    }
}
